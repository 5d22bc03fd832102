import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DataDirError } from '../src/data-dir.ts';
import { createDatabase } from '../src/db/client.ts';
import { exportEmbeddedData } from '../src/db/embedded/export.ts';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/logger.ts';
import { CreateAgent } from './support/agent-operations.ts';
import { startApp } from './support/app.ts';
import { insertHistory } from './support/chat-seed.ts';
import { ChatById, ChatMessages, CreateChat, SearchMessages } from './support/chat-operations.ts';
import { createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login, Me } from './support/operations.ts';
import { PG_BIN } from './support/postgres.ts';
import { backends, emptyPostgresDatabase } from './support/services.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const postgresAndRedis = backends().find((backend) => backend.name === 'postgres+redis')!;

/** Runs a command as a user would from the repository, and answers its exit code and output. */
function command(program: string, args: string[], env: Record<string, string>) {
  const child = spawn(program, args, { cwd: repoRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise<{ code: number | null; output: string }>((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

const dbCli = (args: string[], env: Record<string, string>) => command(process.execPath, ['--import', 'tsx', 'src/db/cli.ts', ...args], env);

describe('moving the embedded database to PostgreSQL', { skip: postgresAndRedis.skip }, () => {
  let root: string;
  before(async () => {
    root = await tempDir('export');
  });
  after(() => removeTempDir(root));

  it('exports with db:export, loads into a migrated PostgreSQL with psql, and serves the same data on PostgreSQL + Redis', async () => {
    const dataDir = join(root, 'data');
    const embedded = await startApp({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    let key: string;
    let chatId: string;
    try {
      admin = await signUpTenant(embedded.client, 'Moving Co');
      key = (await createKey(embedded.client, admin.token)).key;
      const { createAgent } = await embedded.client.data(CreateAgent, { input: { name: 'Helper', webhookUrl: 'http://127.0.0.1:9/agent' } }, { token: admin.token });
      chatId = (await embedded.client.data(CreateChat, { input: { agentId: createAgent.id, title: "Ünïcode 'quotes' \\ and\nlines" } }, { token: admin.token })).createChat.id;
      await insertHistory(embedded, chatId, ['where is my parcel?', { role: 'ASSISTANT', content: 'It left the warehouse today 📦' }, 'thanks']);
    } finally {
      await embedded.stop();
    }

    const file = join(root, 'export.sql');
    const exported = await dbCli(['export', file], { DATA_DIR: dataDir });
    assert.equal(exported.code, 0, exported.output);
    assert.match(exported.output, new RegExp(`exported \\d+ tables .* from ${dataDir} to ${file}`));
    const script = await readFile(file, 'utf8');
    assert.match(script, /PostgreSQL database dump/);
    assert.doesNotMatch(script, /_prisma_migrations/, 'the migration history is written by db:migrate, not by the export');

    // What `npm run db:migrate` does.
    const databaseUrl = await emptyPostgresDatabase();
    const target = await createDatabase({ databaseUrl, dataDir: join(root, 'unused'), logger: createLogger('silent') });
    await migrate(target, createLogger('silent')).finally(() => target.close());
    const loaded = await command(join(PG_BIN, 'psql'), ['--no-psqlrc', '-v', 'ON_ERROR_STOP=1', '-q', '-d', databaseUrl, '-f', file], {});
    assert.equal(loaded.code, 0, loaded.output);

    const moved = await startApp({ DATA_DIR: join(root, 'unused'), DATABASE_URL: databaseUrl, REDIS_URL: (await postgresAndRedis.env()).REDIS_URL! });
    try {
      const { login } = await moved.client.data(Login, { input: { email: admin.email, password: PASSWORD } });
      const { me } = await moved.client.data(Me, {}, { token: login.accessToken });
      assert.equal(me.email, admin.email);
      assert.equal(me.tenant.name, 'Moving Co');
      const byKey = await moved.client.data(Me, {}, { apiKey: key });
      assert.equal(byKey.me.id, me.id);
      const { chat: movedChat } = await moved.client.data(ChatById, { id: chatId }, { token: login.accessToken });
      assert.equal(movedChat?.title, "Ünïcode 'quotes' \\ and\nlines");
      const { chat } = await moved.client.data(ChatMessages, { id: chatId, last: 10 }, { token: login.accessToken });
      assert.deepEqual(
        chat?.messages.edges.map((edge) => edge.node.content),
        ['where is my parcel?', 'It left the warehouse today 📦', 'thanks'],
      );
      const { searchMessages } = await moved.client.data(SearchMessages, { query: 'warehouse' }, { token: login.accessToken });
      assert.deepEqual(searchMessages.map((message) => message.content), ['It left the warehouse today 📦']);
    } finally {
      await moved.stop();
    }
  });

  it('refuses to export while a server holds DATA_DIR, naming the directory and the process', async () => {
    const dataDir = join(root, 'held');
    const running = await startApp({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
    try {
      await assert.rejects(exportEmbeddedData({ dataDir }, join(root, 'held.sql')), (error: Error) => {
        assert.ok(error instanceof DataDirError);
        assert.equal(error.message.split('\n').length, 1);
        assert.match(error.message, new RegExp(`DATA_DIR ${dataDir} is in use by process ${process.pid}`));
        return true;
      });
    } finally {
      await running.stop();
    }
  });

  it('refuses to export a DATA_DIR without an embedded database, and to export when DATABASE_URL is set', async () => {
    await assert.rejects(exportEmbeddedData({ dataDir: join(root, 'never-started') }, join(root, 'none.sql')), /holds no embedded database/);
    await assert.rejects(
      exportEmbeddedData({ dataDir: join(root, 'held'), databaseUrl: 'postgres://127.0.0.1:1/x' }, join(root, 'none.sql')),
      /unset DATABASE_URL/,
    );
  });
});
