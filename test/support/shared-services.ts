/**
 * The PostgreSQL and Redis that `npm test` (test/run.ts) starts once for the whole run, handed
 * to each test file through the environment. A file run alone starts its own (services.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const SHARED_SERVICES_ENV = { postgresUrl: 'TEST_SHARED_POSTGRES_URL', redisUrl: 'TEST_SHARED_REDIS_URL' } as const;

/** A database with every migration applied, copied for each suite instead of migrating anew. */
export const TEMPLATE_DATABASE = 'app_template';

export type SharedServices = {
  redisUrl: string;
  /** A new database, copied from the migrated template, or empty. */
  createDatabase(options?: { empty?: boolean }): Promise<string>;
};

export function sharedServices(): SharedServices | undefined {
  const postgresUrl = process.env[SHARED_SERVICES_ENV.postgresUrl];
  const redisUrl = process.env[SHARED_SERVICES_ENV.redisUrl];
  if (!postgresUrl || !redisUrl) return undefined;
  return {
    redisUrl,
    async createDatabase({ empty = false } = {}) {
      const name = `test_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: postgresUrl });
      client.on('error', () => {});
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"${empty ? '' : ` TEMPLATE "${TEMPLATE_DATABASE}"`}`);
      } finally {
        await client.end();
      }
      return Object.assign(new URL(postgresUrl), { pathname: `/${name}` }).href;
    },
  };
}
