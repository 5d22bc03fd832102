import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { DataDirError } from '../src/data-dir.ts';
import { openEmbedded } from '../src/db/embedded/open.ts';
import { createLogger } from '../src/logger.ts';
import { GraphQLClient } from './support/client.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { CreateLead, LeadById } from './support/lead-operations.ts';
import { startServer as startEmbeddedServer } from './support/server-process.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const logger = createLogger('silent');

/** The server as a child process on DATA_DIR alone. */
const startServer = (dataDir: string) => startEmbeddedServer({ DATA_DIR: dataDir });

describe('the embedded database', () => {
  let root: string;
  before(async () => {
    root = await tempDir('embedded');
  });
  after(() => removeTempDir(root));

  describe('its wire server, shared by the connections of a pool', () => {
    let close: () => Promise<void>;
    let config: pg.PoolConfig;
    before(async () => {
      const dataDir = join(root, 'wire');
      await mkdir(dataDir);
      const embedded = await openEmbedded(dataDir, logger);
      config = embedded.poolConfig;
      close = embedded.close;
      const client = new pg.Client(config);
      await client.connect();
      await client.query('CREATE TABLE wire_test (id int PRIMARY KEY, note text)');
      await client.end();
    });
    after(() => close?.());

    const connect = async () => {
      const client = new pg.Client(config);
      client.on('error', () => {});
      await client.connect();
      return client;
    };

    it("keeps one connection's transaction whole: another sees nothing of it until it commits", async () => {
      const [a, b] = [await connect(), await connect()];
      await a.query('BEGIN');
      await a.query('INSERT INTO wire_test VALUES (1, $1)', ['uncommitted']);
      const read = b.query<{ count: string }>('SELECT count(*) FROM wire_test WHERE id = 1');
      await new Promise((resolve) => setTimeout(resolve, 150));
      await a.query('COMMIT');
      assert.equal((await read).rows[0]!.count, '1', 'the read ran after the commit, never inside the transaction');
      await Promise.all([a.end(), b.end()]);
    });

    it('holds no other connection up between a BEGIN and the statement after it, and keeps the transaction whole', async () => {
      const [a, b] = [await connect(), await connect()];
      // The first BEGIN of its form goes to the backend; later ones wait for their next statement.
      for (const form of ['BEGIN', { name: 'begin_named', text: 'BEGIN', values: [] }] satisfies (string | pg.QueryConfig)[]) {
        await a.query(form);
        await a.query('ROLLBACK');
        await a.query(form);
        const { rows } = await b.query<{ count: string }>('SELECT count(*) FROM wire_test');
        assert.ok(Number(rows[0]!.count) >= 0, 'another connection is answered while the transaction has only begun');
        await a.query('INSERT INTO wire_test VALUES (3, $1)', ['in a transaction']);
        const read = b.query<{ count: string }>('SELECT count(*) FROM wire_test WHERE id = 3');
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal((await a.query<{ written: boolean }>('SELECT txid_current_if_assigned() IS NOT NULL AS written')).rows[0]!.written, true, 'the insert ran inside the transaction');
        await a.query('ROLLBACK');
        assert.equal((await read).rows[0]!.count, '0', 'the rolled-back insert was never seen');
      }
      await Promise.all([a.end(), b.end()]);
    });

    it('rolls back the transaction of a connection that dies inside it, and serves the others', async () => {
      const [a, b] = [await connect(), await connect()];
      await a.query('BEGIN');
      await a.query('INSERT INTO wire_test VALUES (2, $1)', ['lost']);
      (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      const { rows } = await b.query<{ count: string }>('SELECT count(*) FROM wire_test WHERE id = 2');
      assert.equal(rows[0]!.count, '0');
      await b.end();
    });

    it('answers every parameterised query right while transactions and large parameters run beside them', async () => {
      const pool = new pg.Pool({ ...config, max: 4 });
      const large = 'x'.repeat(300_000);
      const work = Array.from({ length: 200 }, async (_, index) => {
        if (index % 20 === 0) {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            await client.query('INSERT INTO wire_test VALUES ($1, $2)', [1000 + index, large]);
            await client.query('COMMIT');
          } finally {
            client.release();
          }
          return;
        }
        const { rows } = await pool.query<{ echo: number; size: number }>('SELECT $1::int AS echo, length($2::text) AS size', [index, index % 7 === 0 ? large : 'y']);
        assert.deepEqual(rows, [{ echo: index, size: index % 7 === 0 ? large.length : 1 }]);
      });
      await Promise.all(work);
      const { rows } = await pool.query<{ count: string }>('SELECT count(*) FROM wire_test WHERE id >= 1000');
      assert.equal(rows[0]!.count, '10');
      await pool.end();
    });

    it('lets every connection prepare the same named statement, and still refuses a name reused for another text', async () => {
      const clients = await Promise.all([connect(), connect(), connect()]);
      // A long text, so that the Parse may arrive in more than one read.
      const padding = `/* ${'p'.repeat(200_000)} */`;
      const echo = { name: 'shared_echo', text: `SELECT $1::int * 2 AS doubled ${padding}` };
      for (const [index, client] of clients.entries()) {
        for (const round of [1, 2]) {
          const { rows } = await client.query<{ doubled: number }>({ ...echo, values: [index * 10 + round] });
          assert.deepEqual(rows, [{ doubled: (index * 10 + round) * 2 }]);
        }
      }
      const other = await connect();
      await assert.rejects(other.query({ name: 'shared_echo', text: 'SELECT 1 AS one', values: [] }), /already exists/);
      const { rows } = await other.query<{ doubled: number }>({ ...echo, values: [21] });
      assert.deepEqual(rows, [{ doubled: 42 }], 'the connection works on after the refusal');
      await Promise.all([...clients, other].map((client) => client.end()));
    });

    it('lets connections prepare the same new statement at the same moment, inside transactions or not', async () => {
      const clients = await Promise.all(Array.from({ length: 6 }, () => connect()));
      const statement = { name: 'raced_echo', text: 'SELECT $1::int + 1 AS next' };
      const results = await Promise.all(
        clients.map(async (client, index) => {
          if (index % 2 === 0) await client.query('BEGIN');
          const { rows } = await client.query<{ next: number }>({ ...statement, values: [index] });
          if (index % 2 === 0) await client.query('COMMIT');
          return rows[0]!.next;
        }),
      );
      assert.deepEqual(results, [1, 2, 3, 4, 5, 6]);
      await Promise.all(clients.map((client) => client.end()));
    });

    it("vacuums and analyzes a table past autovacuum's thresholds, which PGlite alone never does", async () => {
      const client = await connect();
      await client.query('CREATE TABLE churn (id int PRIMARY KEY, state text)');
      await client.query("INSERT INTO churn SELECT i, 'new' FROM generate_series(1, 2000) i");
      await client.query("UPDATE churn SET state = 'done'");
      const statistics = () =>
        client.query<{ dead: string; vacuumed: boolean; analyzed: boolean; planned: string }>(
          `SELECT n_dead_tup AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed,
                  (SELECT reltuples::text FROM pg_class WHERE relname = 'churn') AS planned
             FROM pg_stat_user_tables WHERE relname = 'churn'`,
        );
      assert.equal((await statistics()).rows[0]!.vacuumed, false);
      const after = await eventually(async () => {
        const [row] = (await statistics()).rows;
        return row?.vacuumed && row.analyzed ? row : undefined;
      }, 15_000, 'the table to be vacuumed and analyzed');
      assert.equal(after.dead, '0', 'the dead rows of the update are gone');
      assert.equal(after.planned, '2000', 'the planner knows how many rows the table holds');
      await client.end();
    });
  });

  it('opens a DATA_DIR in one process at a time, naming the process that holds it', async () => {
    const dataDir = join(root, 'locked');
    await mkdir(dataDir);
    const first = await openEmbedded(dataDir, logger);
    try {
      await assert.rejects(openEmbedded(dataDir, logger), (error: unknown) => {
        assert.ok(error instanceof DataDirError);
        assert.equal(error.message, `DATA_DIR ${dataDir} is in use by process ${process.pid}: the embedded database opens in one process at a time (stop it, or use another DATA_DIR)`);
        return true;
      });
      const second = startServer(dataDir);
      assert.equal(await second.exited, 1);
      const lines = second.output.stderr.trim().split('\n');
      assert.equal(lines.length, 1, second.output.stderr);
      assert.match(lines[0]!, new RegExp(`DATA_DIR ${dataDir} is in use by process ${process.pid}`));
    } finally {
      await first.close();
    }
    const again = await openEmbedded(dataDir, logger);
    await again.close();
  });

  it('keeps every acknowledged write across a SIGKILL in the middle of writing, and opens again', async () => {
    const dataDir = join(root, 'killed');
    const server = startServer(dataDir);
    const client = new GraphQLClient(new URL(await server.ready).origin);
    const { token } = await signUpTenant(client);
    const acknowledged: string[] = [];
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, writer) => {
      for (let index = 0; writing; index++) {
        const result = await client.request(CreateLead, { input: { name: `w${writer}-${index}`, source: 'MANUAL' } }, { token }).catch(() => null);
        if (result?.data) acknowledged.push(result.data.createLead.id);
        else return;
      }
    });
    // Killed once writes are flowing, however long a busy machine takes to get there; the writers are mid-request then.
    await eventually(() => (acknowledged.length >= 20 ? true : undefined), 60_000, '20 acknowledged writes');
    server.child.kill('SIGKILL');
    writing = false;
    await Promise.all([server.exited, ...writers]);
    assert.ok(acknowledged.length >= 20, `${acknowledged.length} writes acknowledged before the kill`);

    const restarted = startServer(dataDir);
    try {
      const after = new GraphQLClient(new URL(await restarted.ready).origin);
      for (const id of acknowledged) {
        const { data } = await after.request(LeadById, { id }, { token });
        assert.equal(data?.lead?.id, id, `acknowledged lead ${id} is there`);
      }
    } finally {
      restarted.child.kill('SIGTERM');
      assert.equal(await restarted.exited, 0);
    }
  });
});
