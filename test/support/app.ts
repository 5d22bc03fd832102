import { buildApp, type App } from '../../src/app.ts';
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
  /** The app's own database client, for fixtures of what no API writes (e.g. chat-seed.ts). */
  prisma(): PrismaClient;
  stop(): Promise<void>;
};

/** Starts the real app on a random port with the given environment on top of test defaults. */
export async function startApp(env: Record<string, string>): Promise<RunningApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    ALLOW_PRIVATE_URLS: '127.0.0.1,::1,localhost',
    ...env,
  });
  const app: App = buildApp(config, createLogger(config.logLevel));
  const { port } = await app.start();
  const origin = `http://127.0.0.1:${port}`;
  return {
    config,
    origin,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    client: new GraphQLClient(origin),
    prisma: () => app.prisma(),
    stop: () => app.stop(),
  };
}
