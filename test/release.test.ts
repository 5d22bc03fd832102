/**
 * The production build as the Dockerfile makes and runs it (.ci/release), in a fresh clone: the
 * build with production dependencies only, the files staged for the image, and the server
 * started from them, by the image's command and by `npm start`, each stopped by SIGTERM, and the
 * operator's `npm run admin` run from them against the data the server left.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GraphQLClient } from './support/client.ts';
import { signUpTenant } from './support/fixtures.ts';
import { Me } from './support/operations.ts';
import { startServer, type ServerCommand } from './support/server-process.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the production build, staged as in the image, started and stopped by SIGTERM', () => {
  let work: string;
  let staged: string;
  const env = () => ({
    NODE_ENV: 'production',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    SHUTDOWN_DRAIN_MS: '200',
  });

  before(async () => {
    work = await tempDir('release');
    const clone = join(work, 'clone');
    staged = join(work, 'app');
    await run('git', ['clone', '--quiet', repoRoot, clone]);
    // The build of these same sources, instead of building again here (the full install takes
    // 40 s): `.ci/release build` then keeps it and reinstalls production dependencies only.
    await cp(join(repoRoot, 'dist'), join(clone, 'dist'), { recursive: true });
    await run(join(clone, '.ci/release'), ['build'], { cwd: clone, env: { ...process.env, RELEASE_REUSE_DIST: '1', npm_config_prefer_offline: 'true' } });
    await run(join(clone, '.ci/release'), ['stage', staged], { cwd: clone });
  });
  after(() => removeTempDir(work));

  it('installs no dev dependency and stages only what runs', async () => {
    // TypeScript and the Prisma CLI come anyway, as peer dependencies of @prisma/client.
    const modules = await readdir(join(staged, 'node_modules'));
    for (const devOnly of ['autocannon', 'puppeteer-core', '@graphql-codegen', '@apollo', 'smtp-server']) assert.ok(!modules.includes(devOnly), devOnly);
    assert.deepEqual((await readdir(staged)).sort(), ['.ci', 'dist', 'node_modules', 'package-lock.json', 'package.json', 'prisma']);
  });

  const starts: [string, (dataDir: string) => ServerCommand][] = [
    ["the image's command, .ci/release start", () => ({ command: join(staged, '.ci/release'), args: ['start'], cwd: staged })],
    ['npm start', () => ({ command: 'npm', args: ['start', '--silent'], cwd: staged })],
  ];
  for (const [name, command] of starts) {
    it(`${name}: serves, then on SIGTERM to that process stops and exits 0, leaving no process behind; npm run admin then reads its data`, async () => {
      const dataDir = join(work, `data-${starts.findIndex(([each]) => each === name)}`);
      const server = startServer({ ...env(), DATA_DIR: dataDir }, command(dataDir));
      try {
        const url = await server.ready;
        const client = new GraphQLClient(new URL(url).origin);
        const admin = await signUpTenant(client);
        assert.equal((await client.data(Me, {}, { token: admin.token })).me.email, admin.email);
        const ready = (await fetch(new URL('/ready', url))).status;
        assert.equal(ready, 200);
        const nodePid = (JSON.parse(server.output.stdout.split('\n').find((line) => line.includes('"msg":"ready"'))!) as { pid: number }).pid;

        server.child.kill('SIGTERM');
        assert.equal(await server.exited, 0, server.output.stderr);
        assert.match(server.output.stdout, /"msg":"stopped"/);
        assert.ok(!isRunning(nodePid), `the server (pid ${nodePid}) outlived ${name}`);

        const shown = await run('npm', ['run', '--silent', 'admin', '--', 'show', admin.tenant.slug], { cwd: staged, env: { ...process.env, ...env(), DATA_DIR: dataDir } });
        assert.match(shown.stdout, new RegExp(`team ${admin.tenant.slug} .*\nstatus: active\nusers: 1 of 500 \\(server default\\)`));
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGKILL');
      }
    });
  }
});
