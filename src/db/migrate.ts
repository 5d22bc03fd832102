import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.ts';
import type { Database, SqlSession } from './pool.ts';
import { checksumMatches, checksumOf, readMigrations, type MigrationFile } from './migrations-dir.ts';

/** The key Prisma's own engine locks, so this also excludes a concurrent `prisma migrate deploy`. */
const advisoryLockKey = 72707369;

/** As Prisma's schema engine creates it. */
const createHistoryTable = `CREATE TABLE "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

type HistoryRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies the migrations of prisma/migrations that the database has not seen,
 * each in its own transaction, recording them in `_prisma_migrations` the way
 * Prisma's engine does. Returns the names applied.
 */
export async function migrate(
  db: Database,
  logger: Logger,
  options: { migrationsDir?: string } = {},
): Promise<string[]> {
  const files = await readMigrations(options.migrationsDir);
  return db.withSession(async (session) => {
    await lock(session, logger);
    try {
      await prepareHistory(session);
      const history = await session.query<HistoryRow>(
        `SELECT migration_name, checksum, finished_at, rolled_back_at
           FROM "_prisma_migrations" ORDER BY started_at`,
      );
      const applied: string[] = [];
      for (const file of pending(files, history, logger)) {
        await apply(session, file, logger);
        applied.push(file.name);
      }
      return applied;
    } finally {
      await session
        .query('SELECT pg_advisory_unlock($1)', [advisoryLockKey])
        .catch((error: unknown) => logger.warn({ err: error }, 'could not release the migration lock'));
    }
  });
}

/** Session-level, so it holds across the transactions below and dies with the connection. */
async function lock(session: SqlSession, logger: Logger): Promise<void> {
  const [attempt] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    advisoryLockKey,
  ]);
  if (attempt?.locked) return;
  logger.info('another instance is migrating the database; waiting for it');
  await session.query('SELECT pg_advisory_lock($1)', [advisoryLockKey]);
}

/** Like `prisma migrate deploy`, refuse a database that has tables but no migration history (P3005). */
async function prepareHistory(session: SqlSession): Promise<void> {
  const [state] = await session.query<{ history: boolean; tables: number }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS history,
            (SELECT count(*)::int FROM pg_tables WHERE schemaname = current_schema()) AS tables`,
  );
  if (state?.history) return;
  if (state?.tables) {
    throw new MigrationError(
      'The database is not empty but has no _prisma_migrations table; baseline it before migrating ' +
        '(https://pris.ly/d/migrate-baseline).',
    );
  }
  await session.exec(createHistoryTable);
}

function pending(files: MigrationFile[], history: HistoryRow[], logger: Logger): MigrationFile[] {
  const live = history.filter((row) => row.rolled_back_at === null);
  const failed = live.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationError(
      `Migration ${failed.migration_name} failed earlier (see the logs column of _prisma_migrations). ` +
        'Its transaction was rolled back: fix it, then mark it rolled back with ' +
        `\`prisma migrate resolve --rolled-back ${failed.migration_name}\` or ` +
        `UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}'.`,
    );
  }
  const byName = new Map(files.map((file) => [file.name, file]));
  for (const row of live) {
    const file = byName.get(row.migration_name);
    if (!file) {
      // Normal while an older build starts next to a newer one that already migrated.
      logger.warn({ migration: row.migration_name }, 'database has a migration this build does not know');
    } else if (!checksumMatches(file.script, row.checksum)) {
      throw new MigrationError(
        `Migration ${row.migration_name} was changed after it was applied: its migration.sql no longer ` +
          'matches the checksum in _prisma_migrations. Restore the file and put the change in a new migration.',
      );
    }
  }
  const done = new Set(live.map((row) => row.migration_name));
  return files.filter((file) => !done.has(file.name));
}

async function apply(session: SqlSession, file: MigrationFile, logger: Logger): Promise<void> {
  const id = randomUUID();
  const checksum = checksumOf(file.script);
  const started = performance.now();
  try {
    await session.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES ($1, $2, $3)',
        [id, checksum, file.name],
      );
      await tx.exec(file.script);
      await tx.query(
        `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
        [id],
      );
    });
  } catch (error) {
    // The transaction is gone; record the failure outside it so the next start refuses, as Prisma's does.
    const logs = error instanceof Error ? error.message : String(error);
    await session
      .query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ($1, $2, $3, $4)', [
        id,
        checksum,
        file.name,
        logs,
      ])
      .catch((recordError: unknown) => logger.error({ err: recordError }, 'could not record the failed migration'));
    throw new MigrationError(`Migration ${file.name} failed and was rolled back: ${logs}`, { cause: error });
  }
  logger.info({ migration: file.name, ms: Math.round(performance.now() - started) }, 'applied migration');
}
