import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { loadConfig } from '../config.ts';
import { readEnvFile } from '../env-file.ts';
import { DataDirError } from '../data-dir.ts';
import { createLogger, type Logger } from '../logger.ts';
import { createDatabase } from './client.ts';
import { exportEmbeddedData } from './embedded/export.ts';
import { migrate } from './migrate.ts';
import { defaultMigrationsDir, lockfileContent, lockfileName } from './migrations-dir.ts';
import { diffMigrationsToSchema } from './schema-engine.ts';

const usage = 'usage: tsx src/db/cli.ts create <name> | deploy | export <file.sql>';

async function main([command, name, ...rest]: string[]): Promise<void> {
  readEnvFile();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  if (command === 'create' && name && rest.length === 0) {
    await create(name, config.databaseUrl, logger);
  } else if (command === 'deploy' && name === undefined) {
    const db = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger });
    try {
      const applied = await migrate(db, logger);
      console.log(applied.length ? `applied ${applied.join(', ')}` : 'no pending migrations');
    } finally {
      await db.close();
    }
  } else if (command === 'export' && name && rest.length === 0) {
    const { file, bytes, tables } = await exportEmbeddedData(config, name);
    console.log(`exported ${tables} tables (${bytes} bytes) from ${config.dataDir} to ${file}`);
  } else {
    throw new Error(usage);
  }
}

async function create(name: string, databaseUrl: string | undefined, logger: Logger): Promise<void> {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 200);
  if (!slug) throw new Error(`"${name}" has no letters or digits to name a migration with`);
  const script = await diffMigrationsToSchema({ logger, databaseUrl });
  if (!script) {
    console.log('no changes: the migrations already match prisma/schema.prisma');
    return;
  }
  const directory = join(defaultMigrationsDir, `${utcTimestamp(new Date())}_${slug}`);
  await mkdir(defaultMigrationsDir, { recursive: true });
  // Not recursive: two migrations created within one second must not share a folder.
  await mkdir(directory);
  await writeFile(join(directory, 'migration.sql'), script);
  await writeFile(join(defaultMigrationsDir, lockfileName), lockfileContent);
  console.log(`created ${relative(process.cwd(), join(directory, 'migration.sql'))}`);
}

/** yyyyMMddHHmmss in UTC, as Prisma names migration folders. */
function utcTimestamp(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(0, 14);
}

// The wasm engine leaves a timer running, so end explicitly.
main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof DataDirError ? error.message : error);
    process.exit(1);
  },
);
