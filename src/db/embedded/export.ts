import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgDump } from '@electric-sql/pglite-tools/pg_dump';
import { DataDirError } from '../../data-dir.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { startParams } from './pglite-settings.ts';

/**
 * Settings pg_dump 18 writes that older servers refuse; the dump means their defaults, so it
 * loads the same without them on PostgreSQL 15 and later.
 */
const SETTINGS_NEWER_THAN_POSTGRES_15 = /^SET transaction_timeout = 0;\r?\n/gm;

export type ExportSummary = { file: string; bytes: number; tables: number };

/**
 * Writes the data of DATA_DIR's embedded database as a pg_dump plain-SQL script (data only,
 * INSERT statements in foreign-key order), to be loaded with psql into a PostgreSQL database
 * migrated to the same version. Migration history is left out: `db:migrate` writes it there.
 * The directory is locked while it runs, so the server must be stopped first.
 */
export async function exportEmbeddedData(config: { dataDir: string; databaseUrl?: string }, file: string): Promise<ExportSummary> {
  const { dataDir } = config;
  if (config.databaseUrl) throw new DataDirError('db:export reads the embedded database of DATA_DIR: unset DATABASE_URL');
  const directory = join(dataDir, 'pglite');
  if (!existsSync(join(directory, 'PG_VERSION'))) {
    throw new DataDirError(`DATA_DIR ${dataDir} holds no embedded database (no ${directory}): nothing to export`);
  }
  const lock = lockDataDir(dataDir);
  try {
    const pglite = await PGlite.create({ dataDir: directory, startParams });
    try {
      const dump = await pgDump({
        pg: pglite,
        args: ['--data-only', '--no-owner', '--no-privileges', '--rows-per-insert=500', '--exclude-table-data=public._prisma_migrations'],
      });
      const script = (await dump.text()).replace(SETTINGS_NEWER_THAN_POSTGRES_15, '');
      const partial = `${file}.partial`;
      try {
        await writeFile(partial, script);
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      const tables = (script.match(/^-- Data for Name: /gm) ?? []).length;
      return { file, bytes: Buffer.byteLength(script), tables };
    } finally {
      await pglite.close();
    }
  } finally {
    lock.release();
  }
}
