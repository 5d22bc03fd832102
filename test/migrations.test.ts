import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDatabase } from '../src/db/client.ts';
import { openPool, type Database } from '../src/db/pool.ts';
import { startEmbeddedServer } from '../src/db/embedded/embedded-server.ts';
import { migrate } from '../src/db/migrate.ts';
import { checksumOf, defaultMigrationsDir, readMigrations } from '../src/db/migrations-dir.ts';
import { checkDrift } from '../src/db/schema-engine.ts';
import { createLogger } from '../src/logger.ts';
import { backends, emptyPostgresDatabase, externalServicesSkipReason } from './support/services.ts';

const logger = createLogger('silent');

test('the committed migrations produce exactly prisma/schema.prisma', async () => {
  const drift = await checkDrift({ logger });
  assert.equal(drift, '', `schema.prisma differs from the migrations; run \`npm run db:migration -- <name>\`:\n${drift}`);
});

test('PostgreSQL connections run with JIT off, unless DATABASE_URL sets its own options', { skip: externalServicesSkipReason() }, async () => {
  const jitOf = async (databaseUrl: string) => {
    const db = await createDatabase({ databaseUrl, dataDir: '', logger });
    try {
      const [row] = await db.prisma.$queryRaw<{ jit: string }[]>`SHOW jit`;
      return row?.jit;
    } finally {
      await db.close();
    }
  };
  const url = await emptyPostgresDatabase();
  assert.equal(await jitOf(url), 'off');
  assert.equal(await jitOf(`${url}?options=${encodeURIComponent('-c jit=on')}`), 'on');
});

/** An empty database of the backend: a new embedded cluster (not the migrated template), or a new PostgreSQL database. */
async function emptyDatabase(backend: string, dataDir: string): Promise<Database> {
  if (backend === 'postgres+redis') return openPool({ connectionString: await emptyPostgresDatabase() }, 'postgres', logger);
  const server = await startEmbeddedServer(join(dataDir, 'pglite'), logger);
  return openPool({ host: server.socketDir, user: 'postgres', database: 'postgres', max: 2 }, 'embedded', logger, server.close);
}

for (const backend of backends()) {
  describe(`migration runner (${backend.name})`, { skip: backend.skip }, () => {
    let dataDir: string;
    let db: Database;

    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'migrations-test-'));
      db = await emptyDatabase(backend.name, dataDir);
    });

    after(async () => {
      await db?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    test('migrate() applies every migration once, then is a no-op', async () => {
      const names = (await readMigrations()).map((migration) => migration.name);
      assert.ok(names.length > 0);
      assert.deepEqual(await migrate(db, logger), names);
      assert.deepEqual(await migrate(db, logger), []);

      await db.ping();
      const tenant = await db.prisma.tenant.create({ data: { name: 'Acme', slug: 'acme' } });
      assert.equal((await db.prisma.tenant.findUniqueOrThrow({ where: { slug: 'acme' } })).id, tenant.id);
    });

    test('migrate() refuses a migration whose file no longer matches its checksum', async () => {
      const [first] = await readMigrations();
      assert.ok(first);
      const setChecksum = (checksum: string) =>
        db.withSession((session) =>
          session.query('UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2', [checksum, first.name]),
        );
      await setChecksum('0'.repeat(64));
      await assert.rejects(migrate(db, logger), /was changed after it was applied/);
      await setChecksum(checksumOf(first.script));
      assert.deepEqual(await migrate(db, logger), []);
    });

    test('a failing migration is rolled back, recorded, and blocks the next start', async () => {
      const migrationsDir = join(dataDir, 'migrations');
      await cp(defaultMigrationsDir, migrationsDir, { recursive: true });
      await mkdir(join(migrationsDir, '99991231235959_broken'));
      await writeFile(
        join(migrationsDir, '99991231235959_broken', 'migration.sql'),
        'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT no_such_function();\n',
      );

      await assert.rejects(migrate(db, logger, { migrationsDir }), /99991231235959_broken failed and was rolled back/);
      const [state] = await db.withSession((session) =>
        session.query<{ table: string | null; logs: string | null }>(
          `SELECT to_regclass('"half_done"')::text AS table,
                  (SELECT logs FROM "_prisma_migrations" WHERE finished_at IS NULL) AS logs`,
        ),
      );
      assert.equal(state?.table, null);
      assert.match(state?.logs ?? '', /no_such_function/);
      await assert.rejects(migrate(db, logger, { migrationsDir }), /failed earlier/);
    });
  });
}
