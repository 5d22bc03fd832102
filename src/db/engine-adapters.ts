import { randomUUID } from 'node:crypto';
import { messages, PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/**
 * Driver adapters for the wasm schema engine, with the workarounds from
 * PRISMA-OFFLINE.md. Only the migration tooling uses these; the app's own
 * clients are built in client.ts.
 */
export type EngineAdapters = { factory: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> };

/**
 * One throwaway in-memory PGlite serves as both the engine's main database
 * (it only reads the server version there) and its shadow database, because
 * creating a PGlite costs seconds. It is emptied each time it is handed out
 * as a shadow.
 */
export async function pgliteEngineAdapters(): Promise<EngineAdapters> {
  const pglite = await PGlite.create();
  const stock = new PrismaPGlite(pglite);
  const connect = async () => awaitScripts(await stock.connect(), pglite);
  return {
    factory: {
      provider: 'postgres',
      adapterName: stock.adapterName,
      connect,
      async connectToShadowDb() {
        await pglite.exec('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
        return connect();
      },
    },
    close: () => pglite.close(),
  };
}

/** pglite-prisma-adapter does not await exec(), so a failing script would pass as applied. */
function awaitScripts(adapter: SqlDriverAdapter, pglite: PGlite): SqlDriverAdapter {
  adapter.executeScript = async (script) => {
    try {
      await pglite.exec(script);
    } catch (error) {
      throw toDriverError(error);
    }
  };
  return adapter;
}

function toDriverError(error: unknown): unknown {
  if (!(error instanceof messages.DatabaseError)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'XX000',
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}

/**
 * The engine inspects catalog columns of Postgres's internal `"char"` type
 * (OID 18), which adapter-pg cannot map; relabel them as text before pg
 * builds the result.
 */
class CharAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.prependListener('rowDescription', (message: { fields: { dataTypeID: number }[] }) => {
      for (const field of message.fields) if (field.dataTypeID === 18) field.dataTypeID = 25;
    });
  }
}

export async function postgresEngineAdapters(databaseUrl: string): Promise<EngineAdapters> {
  const poolFor = (connectionString: string) => new pg.Pool({ connectionString, Client: CharAsTextClient });
  const pool = poolFor(databaseUrl);
  const main = new PrismaPg(pool);
  return {
    factory: {
      provider: 'postgres',
      adapterName: main.adapterName,
      connect: () => main.connect(),
      // adapter-pg's own version drops the database while its pool is still
      // connected, and connects to the main database anyway because the
      // connection string's database wins over `database`.
      async connectToShadowDb() {
        const name = `prisma_migrate_shadow_db_${randomUUID()}`;
        await pool.query(`CREATE DATABASE "${name}"`);
        const url = new URL(databaseUrl);
        url.pathname = `/${name}`;
        const shadowPool = poolFor(url.toString());
        // pool.end() resolves before its sockets close, so the FORCE below can
        // still terminate one of them; that error is expected and harmless.
        shadowPool.on('error', () => {});
        const adapter = await new PrismaPg(shadowPool).connect();
        const dispose = adapter.dispose.bind(adapter);
        adapter.dispose = async () => {
          await dispose();
          await shadowPool.end();
          await pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        };
        return adapter;
      },
    },
    close: () => pool.end(),
  };
}
