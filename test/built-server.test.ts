import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GraphQLClient } from './support/client.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { Me } from './support/operations.ts';
import { CreateSession } from './support/session-operations.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startCommand } from './support/start-command.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** Two levels below the repository, as dist/bundle is. */
const bundleDir = join('dist', `bundle-test-${process.pid}`);

describe('the server as `npm start` runs it: the bundle, with its Node flags', () => {
  let dataDir: string;
  let child: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;
  let client: GraphQLClient;
  let smtp: SmtpSink;
  before(async () => {
    smtp = await startSmtpSink();
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/build/bundle-server.ts', bundleDir], { cwd: repoRoot });
    dataDir = await tempDir('built-server');
    const start = startCommand();
    assert.equal(start.script, 'dist/bundle/main.js');
    child = spawn(process.execPath, [...start.nodeArgs, join(bundleDir, 'main.js')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, ...start.env, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', SMTP_URL: smtp.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk) => {
        stdout += chunk;
        const line = stdout.split('\n').find((entry) => entry.includes('"msg":"ready"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    client = new GraphQLClient(new URL(url).origin);
  });
  after(async () => {
    child?.kill('SIGKILL');
    await smtp?.close();
    await rm(join(repoRoot, bundleDir), { recursive: true, force: true });
    if (dataDir) await removeTempDir(dataDir);
  });

  it('answers GraphQL from a fresh DATA_DIR, with the lazily loaded parts (argon2, SMTP, QR codes, GraphiQL assets)', async () => {
    const admin = await signUpTenant(client);
    assert.equal((await client.data(Me, {}, admin)).me.id, admin.user.id);
    await eventually(() => (smtp.to(admin.email).length > 0 ? true : undefined), 10_000, 'the verification email');
    const { createSession } = await client.data(CreateSession, { input: { name: 'Site', channel: 'WEBSITE' } }, admin);
    assert.match(createSession.session.qrCode ?? '', /^data:image\/png;base64,/);
    const page = await fetch(`${client.origin}/graphql`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    const asset = /\/graphiql-assets\/[^"']+\.js/.exec(await page.text())?.[0];
    assert.ok(asset, 'the page names its script');
    assert.equal((await fetch(`${client.origin}${asset}`)).status, 200);
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
