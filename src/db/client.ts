import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { openEmbedded, type OpenedEmbedded } from './embedded/open.ts';
import { openPool, type Database } from './pool.ts';

export type { Database, DatabaseKind, SqlSession } from './pool.ts';

/**
 * Our queries are short and many: PostgreSQL's JIT compiles any plan whose estimated cost is
 * high, and a claim over a backlog of queued jobs is estimated high while it runs in
 * milliseconds, so compiling it cost 0.4 s per claim. An `options` parameter in DATABASE_URL
 * takes precedence over this one.
 */
const POSTGRES_SESSION_OPTIONS = '-c jit=off';

/**
 * PostgreSQL at DATABASE_URL, or the embedded database in DATA_DIR: the same driver path either
 * way. `embedded` is the embedded database already being opened (main.ts starts it early).
 */
export async function createDatabase(options: {
  databaseUrl?: string;
  dataDir: string;
  logger: Logger;
  embedded?: Promise<OpenedEmbedded>;
}): Promise<Database> {
  if (options.databaseUrl) return openPool({ connectionString: options.databaseUrl, options: POSTGRES_SESSION_OPTIONS }, 'postgres', options.logger);
  const [embedded] = await Promise.all([options.embedded ?? openEmbedded(options.dataDir, options.logger), loadQueryCompiler()]);
  try {
    return await openPool(embedded.poolConfig, 'embedded', options.logger, embedded.close);
  } catch (error) {
    await embedded.close();
    throw error;
  }
}

/**
 * Loads Prisma's query compiler (about 200 ms of CPU, once per process) while the embedded
 * database opens in its thread, instead of after. A client's `$connect` loads it without
 * reaching the database, so this one's pool never connects.
 */
async function loadQueryCompiler() {
  const pool = new pg.Pool();
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  await prisma.$connect().catch(() => {});
  await prisma.$disconnect();
  await pool.end();
}
