import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { Logger } from '../logger.ts';
import { pgliteEngineAdapters, postgresEngineAdapters } from './engine-adapters.ts';
import {
  defaultMigrationsDir,
  defaultSchemaPath,
  lockfileContent,
  lockfileName,
  readMigrations,
} from './migrations-dir.ts';

/**
 * Prisma's schema engine (wasm build), for authoring and checking migrations.
 * Start-up uses the plain runner in migrate.ts instead.
 */
export type SchemaEngineOptions = {
  logger: Logger;
  /** Postgres server to create the shadow database on; an in-memory PGlite when unset. */
  databaseUrl?: string;
  schemaPath?: string;
  migrationsDir?: string;
};

/** The SQL of the next migration: from the migrations folder to schema.prisma. Empty when none is needed. */
export async function diffMigrationsToSchema(options: SchemaEngineOptions): Promise<string> {
  return diffFromMigrations(options, true);
}

/** What schema.prisma has that the migrations do not produce, as the engine's summary. Empty when they agree. */
export async function checkDrift(options: SchemaEngineOptions): Promise<string> {
  return diffFromMigrations(options, false);
}

async function diffFromMigrations(options: SchemaEngineOptions, script: boolean): Promise<string> {
  const schemaPath = options.schemaPath ?? defaultSchemaPath;
  const schema = await readFile(schemaPath, 'utf8');
  const migrations = await migrationList(options.migrationsDir ?? defaultMigrationsDir);
  return withEngine(options, schemaPath, schema, async (engine) => {
    const result = await engine.diff({
      from: { tag: 'migrations', ...migrations },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script,
      exitCode: true,
      filters: { externalTables: [], externalEnums: [] },
    });
    // exitCode 2 means "the two sides differ".
    if (result.exitCode !== 2) return '';
    const output = result.stdout ?? '';
    return script ? output : output.trim();
  });
}

async function migrationList(dir: string): Promise<MigrationList> {
  const migrations = await readMigrations(dir);
  // The engine takes the provider from the lockfile; before the first
  // migration there is none yet, and the provider is always postgresql.
  const lockfile = await readFile(join(dir, lockfileName), 'utf8').catch(() => lockfileContent);
  return {
    baseDir: dir,
    lockfile: { path: lockfileName, content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map(({ name, script }) => ({
      path: name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: script } },
    })),
  };
}

async function withEngine<T>(
  options: SchemaEngineOptions,
  schemaPath: string,
  schema: string,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const wasm = await loadEngine();
  const adapters = options.databaseUrl
    ? await postgresEngineAdapters(options.databaseUrl)
    : await pgliteEngineAdapters();
  try {
    const log = (line: string) => options.logger.debug({ engine: line }, 'schema engine');
    const engine = await wasm.SchemaEngine.new(
      { datamodels: [[schemaPath, schema]] },
      log,
      bindMigrationAwareSqlAdapterFactory(adapters.factory),
    );
    try {
      return await work(engine);
    } finally {
      engine.free();
    }
  } catch (error) {
    throw withPanicMessage(error);
  } finally {
    await adapters.close();
  }
}

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let engineModule: Promise<EngineModule> | undefined;
let lastPanic: string | undefined;

/**
 * The package is a wasm-bindgen "bundler" build, whose entry point imports
 * the .wasm file as a module; Node 20 cannot, so instantiate it here.
 */
function loadEngine(): Promise<EngineModule> {
  engineModule ??= (async () => {
    // The engine reports a Rust panic here just before it traps.
    Object.assign(globalThis, {
      PRISMA_WASM_PANIC_REGISTRY: { set_message: (message: string) => (lastPanic = message) },
    });
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(bindingsPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': bindings });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bindings;
  })();
  return engineModule;
}

function withPanicMessage(error: unknown): unknown {
  if (!(error instanceof WebAssembly.RuntimeError) || lastPanic === undefined) return error;
  const panic = new Error(`Prisma schema engine panicked: ${lastPanic}`, { cause: error });
  lastPanic = undefined;
  return panic;
}
