import { buildApp, type App, type AppOverrides } from '../../src/app.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { PrismaClient } from '../../src/generated/prisma/client.ts';
import { createLogger } from '../../src/logger.ts';
import { GraphQLClient } from './client.ts';

export type RunningApp = {
  config: Config;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** ws://127.0.0.1:<port>/graphql */
  wsUrl: string;
  client: GraphQLClient;
  /** The log lines, when started with `captureLogs`. */
  logs: Record<string, unknown>[];
  /** The app's own database client, for fixtures of what no API writes (e.g. chat-seed.ts). */
  prisma(): PrismaClient;
  stop(): Promise<void>;
};

export type StartOptions = AppOverrides & {
  /** Keeps the app's log lines (at LOG_LEVEL, `info` unless given) in `RunningApp.logs`. */
  captureLogs?: boolean;
};

/** Starts the real app on a random port with the given environment on top of test defaults. */
export async function startApp(env: Record<string, string>, options: StartOptions = {}): Promise<RunningApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? (options.captureLogs ? 'info' : 'silent'),
    HOST: '127.0.0.1',
    PORT: '0',
    ALLOW_PRIVATE_URLS: '127.0.0.1,::1,localhost',
    // Every test signs up and logs in from 127.0.0.1; the tests of these limits set them low.
    SIGNUPS_PER_ADDRESS_PER_HOUR: '100000',
    LOGIN_MAX_FAILURES_PER_ADDRESS_PER_MINUTE: '100000',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const destination = options.captureLogs ? { write: (line: string) => void logs.push(JSON.parse(line)) } : undefined;
  const app: App = buildApp(config, createLogger(config.logLevel, destination), options);
  const { port } = await app.start();
  const origin = `http://127.0.0.1:${port}`;
  return {
    config,
    origin,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    client: new GraphQLClient(origin),
    logs,
    prisma: () => app.prisma(),
    stop: () => app.stop(),
  };
}
