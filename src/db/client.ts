import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.ts';
import { assertWritableDataDir, dataDirError } from '../data-dir.ts';
import type { Logger } from '../logger.ts';

/** Raw SQL on one connection, for the migration runner. */
export type SqlSession = {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  /** Runs `work` in a transaction on this connection; rolls back if it throws. */
  transaction<T>(work: (tx: Omit<SqlSession, 'transaction'>) => Promise<T>): Promise<T>;
};

export type Database = {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgres';
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Lends one dedicated connection (on PGlite, its only session) for the duration of `work`. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
};

export async function createDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
}): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.logger)
    : openPglite(options.dataDir, options.logger);
}

async function openPostgres(databaseUrl: string, logger: Logger): Promise<Database> {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  // Without a listener, an idle client losing its server would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle postgres connection failed'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    kind: 'postgres',
    ping: () => ping(prisma),
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
    async withSession(work) {
      const client = await pool.connect();
      try {
        const result = await work(pgSession(client));
        client.release();
        return result;
      } catch (error) {
        // Discard the connection: it may still be in a transaction or hold an advisory lock.
        client.release(true);
        throw error;
      }
    },
  };
}

function pgSession(client: pg.PoolClient): SqlSession {
  const query = async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[];
  // Without parameters pg uses the simple protocol, which accepts several statements.
  const exec = async (script: string) => void (await client.query(script));
  return {
    query,
    exec,
    async transaction(work) {
      await client.query('BEGIN');
      try {
        const result = await work({ query, exec });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        // Keep the original error; withSession discards a connection that cannot roll back.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    },
  };
}

async function openPglite(dataDir: string, logger: Logger): Promise<Database> {
  const started = performance.now();
  assertWritableDataDir(dataDir);
  const directory = join(dataDir, 'pglite');
  let pglite: PGlite;
  try {
    await mkdir(directory, { recursive: true });
    pglite = await PGlite.create(directory);
  } catch (error) {
    throw dataDirError(dataDir, error, 'cannot open the embedded database');
  }
  logger.info({ directory, ms: Math.round(performance.now() - started) }, 'opened embedded PGlite database');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  return {
    prisma,
    kind: 'pglite',
    ping: () => ping(prisma),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
    withSession: (work) => work(pgliteSession(pglite)),
  };
}

function pgliteSession(pglite: PGlite): SqlSession {
  const on = (target: PGlite | Transaction) => ({
    query: async <Row>(sql: string, params?: unknown[]) => (await target.query<Row>(sql, params)).rows,
    exec: async (script: string) => void (await target.exec(script)),
  });
  return {
    ...on(pglite),
    // PGlite's own transaction() queues other callers (e.g. Prisma) until it ends.
    transaction: (work) => pglite.transaction((tx) => work(on(tx))),
  };
}

async function ping(prisma: PrismaClient): Promise<void> {
  await prisma.$queryRaw`SELECT 1`;
}
