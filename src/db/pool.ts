import { PrismaPg } from '@prisma/adapter-pg';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';

/** Raw SQL on one connection, for the migration runner. */
export type SqlSession = {
  query<Row>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a script of several statements. */
  exec(script: string): Promise<void>;
  /** Runs `work` in a transaction on this connection; rolls back if it throws. */
  transaction<T>(work: (tx: Omit<SqlSession, 'transaction'>) => Promise<T>): Promise<T>;
};

export type DatabaseKind = 'embedded' | 'postgres';

export type Database = {
  prisma: PrismaClient;
  /** `embedded`: PGlite in a worker thread, reached over the wire protocol as PostgreSQL is. */
  kind: DatabaseKind;
  ping(): Promise<void>;
  /** This process's connections: open, idle, and requests waiting for one. */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
  /** Lends one dedicated connection for the duration of `work`. */
  withSession<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
};

/**
 * Prisma's defaults (2 s to get a connection, 5 s to finish) fail a burst of writes on a busy
 * machine, most of all on the embedded database, where transactions run one at a time: they
 * wait longer here, and what still runs out of time answers SERVICE_UNAVAILABLE (see outage.ts).
 * On the embedded database a transaction's wait for its turn comes after its BEGIN is answered
 * (see session-server.ts), so it counts against `timeout`, not `maxWait`: hence their sum.
 */
const TRANSACTION_OPTIONS: Record<DatabaseKind, { maxWait: number; timeout: number }> = {
  postgres: { maxWait: 10_000, timeout: 15_000 },
  embedded: { maxWait: 10_000, timeout: 25_000 },
};

/** Distinct statements named at most: each holds a plan in the database session for good. */
const NAMED_STATEMENTS = 500;

/**
 * Names each statement by a hash of its SQL, so that the embedded database parses and plans it
 * once rather than on every call (a third of its CPU on a simple read). The first
 * NAMED_STATEMENTS distinct texts get names; later ones run unnamed. Not on PostgreSQL: a plan
 * kept across a deploy that alters a table fails with "cached plan must not change result type".
 */
function statementNames(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined && names.size < NAMED_STATEMENTS) {
      name = `s${createHash('sha1').update(sql).digest('base64url')}`;
      names.set(sql, name);
    }
    return name ?? '';
  };
}

/** A pool and the Prisma client on it; `afterClose` runs once both are closed. */
export async function openPool(
  config: pg.PoolConfig,
  kind: DatabaseKind,
  logger: Logger,
  afterClose: () => Promise<void> = async () => {},
): Promise<Database> {
  const pool = new pg.Pool(config);
  // Without a listener, an idle client losing its server would crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection failed'));
  const adapter = new PrismaPg(pool, kind === 'embedded' ? { statementNameGenerator: statementNames() } : undefined);
  const prisma = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS[kind] });
  return {
    prisma,
    kind,
    ping: async () => void (await prisma.$queryRaw`SELECT 1`),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async close() {
      await prisma.$disconnect();
      await pool.end();
      await afterClose();
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
