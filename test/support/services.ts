/**
 * Backing services for tests: throwaway Postgres and Redis servers, and `backends()` to run one
 * suite against both the embedded default (PGlite) and Postgres+Redis.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after } from 'node:test';
import { PG_BIN, startPostgres, type PostgresServer } from './postgres.ts';
import { startRedis, type RedisServer } from './redis.ts';
import { sharedServices } from './shared-services.ts';
import { removeTempDir, tempDir } from './temp-dirs.ts';

export { startPostgres, startRedis, type PostgresServer, type RedisServer };

export type Backend = {
  name: 'embedded' | 'postgres+redis';
  /** Why this backend cannot run on this machine; pass it as the `skip` option of `describe`. */
  skip: string | undefined;
  /**
   * Environment for one suite: its own DATA_DIR and, for postgres+redis, its own database.
   * Empty values mean "unset", so an inherited DATABASE_URL or REDIS_URL cannot leak into the
   * embedded pass.
   */
  env(): Promise<Record<string, string>>;
};

export function externalServicesAvailable(): { available: boolean; missing: string[] } {
  // setpriv (util-linux) starts the servers so that they die with the test process.
  const required = [join(PG_BIN, 'initdb'), join(PG_BIN, 'postgres'), 'redis-server', 'setpriv'];
  const missing = required.filter((command) => !isExecutable(command));
  return { available: missing.length === 0, missing };
}

/**
 * Why tests that need Postgres and Redis must be skipped, or undefined when they can run.
 * A skip is announced loudly; under CI=true it throws instead, so CI never passes by skipping.
 */
export function externalServicesSkipReason(): string | undefined {
  const { available, missing } = externalServicesAvailable();
  if (available) return undefined;
  const reason = `Postgres+Redis tests skipped: missing ${missing.join(', ')}`;
  if (isCI()) throw new Error(`${reason}. CI=true requires them (.ci/run installs them).`);
  if (!warned) {
    warned = true;
    console.warn(box([reason, 'Install postgresql-15 and redis-server to run them.']));
  }
  return reason;
}

/**
 * The backends a suite should run against. Call it at the top level of a test file: it registers
 * an `after` hook that stops the servers once the file's tests are done.
 */
export function backends(): Backend[] {
  after(cleanUp);
  return [
    {
      name: 'embedded',
      skip: undefined,
      env: async () => ({ DATA_DIR: await dataDir(), DATABASE_URL: '', REDIS_URL: '' }),
    },
    {
      name: 'postgres+redis',
      skip: externalServicesSkipReason(),
      env: async () => {
        const shared = sharedServices();
        if (shared) return { DATA_DIR: await dataDir(), DATABASE_URL: await shared.createDatabase(), REDIS_URL: shared.redisUrl };
        const { postgres, redis } = await fileServers();
        return { DATA_DIR: await dataDir(), DATABASE_URL: await postgres.createDatabase(), REDIS_URL: redis.url };
      },
    },
  ];
}

/** The URL of a new, empty database on the run's (or this file's) PostgreSQL server. */
export async function emptyPostgresDatabase(): Promise<string> {
  const shared = sharedServices();
  if (shared) return shared.createDatabase({ empty: true });
  return (await fileServers()).postgres.createDatabase();
}

let warned = false;
let servers: Promise<{ postgres: PostgresServer; redis: RedisServer }> | undefined;
const dataDirs = new Set<string>();

/**
 * When a file runs alone: servers started on first use and shared by the suites of that file
 * (node --test runs each file in its own process). Under `npm test` the run's servers are used.
 */
function fileServers() {
  servers ??= Promise.all([startPostgres(), startRedis()]).then(([postgres, redis]) => ({ postgres, redis }));
  return servers;
}

async function dataDir(): Promise<string> {
  const dir = await tempDir('data');
  dataDirs.add(dir);
  return dir;
}

async function cleanUp(): Promise<void> {
  const started = servers;
  servers = undefined;
  if (started) {
    const { postgres, redis } = await started;
    await Promise.all([postgres.stop(), redis.stop()]);
  }
  await Promise.all([...dataDirs].map(removeTempDir));
  dataDirs.clear();
}

function isExecutable(command: string): boolean {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function isCI(): boolean {
  return ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const edge = '!'.repeat(width + 8);
  return ['', edge, ...lines.map((line) => `!!  ${line.padEnd(width)}  !!`), edge, ''].join('\n');
}
