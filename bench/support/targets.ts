/** The servers under test: the real app (embedded or Postgres+Redis) and the bare Yoga baseline. */
import { randomBytes } from 'node:crypto';
import { GraphQLClient } from '../../test/support/client.ts';
import { createKey, signUpTenant } from '../../test/support/fixtures.ts';
import { removeTempDir, tempDir } from '../../test/support/temp-dirs.ts';
import { externalServicesAvailable, startPostgres, startRedis } from '../../test/support/services.ts';
import { startCommand } from '../../test/support/start-command.ts';
import { startServer, type ServerChild } from './processes.ts';

/** What `npm start` runs: its environment, Node flags and the built app. */
const { env: START_ENV, nodeArgs: START_NODE_ARGS, script: APP_SCRIPT } = startCommand();
export { APP_SCRIPT };
export const BASELINE_SCRIPT = 'bench/servers/hello-yoga.ts';

/** Same for every child: quiet logs (the app logs each request at info), unless BENCH_LOG_LEVEL says otherwise. */
const COMMON_ENV = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' };

/** Production mode, as deployed: needs its own JWT secret. */
export const PRODUCTION_ENV = { NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('base64url') };

export type Backend = {
  name: 'embedded' | 'postgres+redis';
  /** Environment for one app process; call `release` when done with it. */
  prepare(): Promise<{ env: Record<string, string>; release(): Promise<void> }>;
  close(): Promise<void>;
};

export function startBaseline(env: Record<string, string> = {}): Promise<ServerChild> {
  return startServer(BASELINE_SCRIPT, { ...COMMON_ENV, ...env });
}

/** BENCH_APP_NODE_ARGS adds Node flags to app children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);

export function startApp(env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerChild> {
  return startServer(APP_SCRIPT, { ...START_ENV, ...COMMON_ENV, ...env }, [...START_NODE_ARGS, ...APP_NODE_ARGS, ...nodeArgs]);
}

/** A fresh DATA_DIR for the embedded default; removed by `release`. */
export async function embeddedEnv() {
  const dir = await tempDir('bench-data');
  return { env: { DATA_DIR: dir, DATABASE_URL: '', REDIS_URL: '' }, release: () => removeTempDir(dir) };
}

export const embedded: Backend = { name: 'embedded', prepare: embeddedEnv, close: async () => {} };

/** Postgres+Redis when their binaries exist here, else the reason they do not. */
export async function postgresAndRedis(): Promise<Backend | string> {
  const { available, missing } = externalServicesAvailable();
  if (!available) return `postgres+redis skipped: missing ${missing.join(', ')}`;
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  return {
    name: 'postgres+redis',
    prepare: async () => {
      const data = await embeddedEnv();
      const env = { ...data.env, DATABASE_URL: await postgres.createDatabase(), REDIS_URL: redis.url };
      return { env, release: data.release };
    },
    close: async () => void (await Promise.all([postgres.stop(), redis.stop()])),
  };
}

export type Credentials = { userId: string; email: string; accessToken: string; apiKey: string };

/** Signs up a tenant admin with the SignUp mutation over HTTP and creates an API key for them. */
export async function signUp(origin: string): Promise<Credentials> {
  const client = new GraphQLClient(origin);
  const { email, token, user } = await signUpTenant(client, 'Bench');
  const { key } = await createKey(client, token);
  return { userId: user.id, email, accessToken: token, apiKey: key };
}

/**
 * Runs `measure` once per available backend (or only BENCH_BACKEND: embedded or postgres+redis) with a fresh environment for the app, and names
 * in `skipped` the backends this machine cannot run; releases and closes everything afterwards.
 */
export async function forEachBackend(
  skipped: string[],
  measure: (backend: Backend, env: Record<string, string>) => Promise<void>,
): Promise<void> {
  const only = process.env.BENCH_BACKEND;
  const backends: Backend[] = only === 'postgres+redis' ? [] : [embedded];
  const external = only === 'embedded' ? 'postgres+redis skipped: BENCH_BACKEND=embedded' : await postgresAndRedis();
  if (typeof external === 'string') skipped.push(external);
  else backends.push(external);
  try {
    for (const backend of backends) {
      const { env, release } = await backend.prepare();
      try {
        await measure(backend, env);
      } finally {
        await release();
      }
    }
  } finally {
    await Promise.all(backends.map((backend) => backend.close()));
  }
}
