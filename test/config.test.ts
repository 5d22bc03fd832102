import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** The URL main.ts logs once ready; fails when it exits first or takes over a minute. */
async function readyUrl(run: ReturnType<typeof runMain>): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    assert.ok(Date.now() < deadline, `main.ts did not become ready:\n${run.output.stdout}\n${run.output.stderr}`);
    assert.equal(run.child.exitCode, null, `main.ts exited early:\n${run.output.stderr}`);
    const url = run.output.stdout
      .split('\n')
      .flatMap((line) => (line.startsWith('{') ? [JSON.parse(line) as { msg?: string; url?: string }] : []))
      .find((entry) => entry.msg === 'ready')?.url;
    if (url) return url;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The problems loadConfig reports for `env`; fails when it does not throw a ConfigError. */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

/** Runs `node --import tsx src/main.ts` with only the given environment (plus PATH and HOME). */
function runMain(env: Record<string, string>, { cwd = repoRoot } = {}) {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(repoRoot, 'src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output, exited };
}

describe('configuration', () => {
  let dataDir: string;
  const dirs: string[] = [];
  const newDataDir = async () => {
    const dir = await tempDir('config');
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    dataDir = await newDataDir();
  });
  after(() => Promise.all(dirs.map(removeTempDir)));

  it('reports every problem together, each naming its variable', () => {
    const problems = problemsOf({
      DATA_DIR: dataDir,
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'http://cache',
      JWT_SECRET: 'too-short',
      LOG_LEVEL: 'loud',
      ACCESS_TOKEN_TTL_SECONDS: '29',
    });
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'LOG_LEVEL', 'ACCESS_TOKEN_TTL_SECONDS']) {
      assert.equal(problems.filter((problem) => problem.startsWith(`${name}:`)).length, 1, `${name} in ${problems.join(' | ')}`);
    }
    assert.match(problems.find((problem) => problem.startsWith('DATABASE_URL'))!, /postgres:\/\//);
  });

  it('refuses NODE_ENV=production without JWT_SECRET, also alongside other problems', () => {
    assert.deepEqual(problemsOf({ DATA_DIR: dataDir, NODE_ENV: 'production' }), ['JWT_SECRET: required when NODE_ENV=production']);
    const problems = problemsOf({ DATA_DIR: dataDir, NODE_ENV: 'production', PORT: 'abc' });
    assert.ok(problems.some((problem) => problem.startsWith('PORT:')), problems.join(' | '));
    assert.ok(problems.some((problem) => problem.startsWith('JWT_SECRET:')), problems.join(' | '));
  });

  it('in production, uses the given secret, secure cookies and no GraphiQL', async () => {
    const dir = await newDataDir();
    const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32) });
    assert.equal(config.jwtSecret, 's'.repeat(32));
    assert.equal(config.secureCookies, true);
    assert.equal(config.graphiql, false);
    assert.equal(config.introspection, false);
    assert.equal(config.fieldSuggestions, false);
    assert.throws(() => statSync(join(dir, 'jwt-secret')), { code: 'ENOENT' });
  });

  it('takes a COOKIE_DOMAIN that holds PUBLIC_URL\'s host, and refuses one that does not', () => {
    assert.equal(loadConfig({ DATA_DIR: dataDir, COOKIE_DOMAIN: '.Example.com', PUBLIC_URL: 'https://api.example.com' }).cookieDomain, 'example.com');
    assert.equal(loadConfig({ DATA_DIR: dataDir, COOKIE_DOMAIN: 'example.com', PUBLIC_URL: 'https://example.com' }).cookieDomain, 'example.com');
    const [problem] = problemsOf({ DATA_DIR: dataDir, COOKIE_DOMAIN: 'example.com', PUBLIC_URL: 'https://api.example.org' });
    assert.match(problem!, /^COOKIE_DOMAIN: example\.com does not hold PUBLIC_URL's host api\.example\.org/);
    assert.ok(problemsOf({ DATA_DIR: dataDir, COOKIE_DOMAIN: 'not a domain' }).some((each) => each.startsWith('COOKIE_DOMAIN:')));
  });

  it('serves metrics with METRICS or on METRICS_PORT, and refuses METRICS=false beside a METRICS_PORT', () => {
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir, METRICS: 'true' }).metrics, { enabled: true, port: undefined });
    assert.deepEqual(loadConfig({ DATA_DIR: dataDir, METRICS_PORT: '9464' }).metrics, { enabled: true, port: 9464 });
    const [problem] = problemsOf({ DATA_DIR: dataDir, METRICS: 'false', METRICS_PORT: '9464' });
    assert.match(problem!, /^METRICS_PORT: serves metrics, which METRICS=false turns off/);
  });

  it('turns introspection on with GraphiQL unless told otherwise, and refuses GraphiQL without it', () => {
    const production = { DATA_DIR: dataDir, NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32) };
    assert.equal(loadConfig({ ...production, GRAPHIQL: 'true' }).introspection, true);
    assert.equal(loadConfig({ ...production, GRAPHQL_INTROSPECTION: 'true' }).introspection, true);
    assert.equal(loadConfig({ DATA_DIR: dataDir, GRAPHIQL: 'false' }).introspection, false);
    assert.equal(loadConfig({ DATA_DIR: dataDir, GRAPHIQL: 'false', GRAPHQL_INTROSPECTION: 'true' }).introspection, true);
    const [problem] = problemsOf({ ...production, GRAPHIQL: 'true', GRAPHQL_INTROSPECTION: 'false' });
    assert.match(problem!, /^GRAPHQL_INTROSPECTION: GraphiQL/);
  });

  it('outside production generates a private JWT secret in DATA_DIR and reuses it on the next load', async () => {
    const dir = await newDataDir();
    const first = loadConfig({ DATA_DIR: dir });
    assert.ok(first.jwtSecret.length >= 32);
    assert.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim(), first.jwtSecret);
    assert.equal(statSync(join(dir, 'jwt-secret')).mode & 0o777, 0o600);
    assert.equal(loadConfig({ DATA_DIR: dir }).jwtSecret, first.jwtSecret);
    assert.notEqual(loadConfig({ DATA_DIR: await newDataDir() }).jwtSecret, first.jwtSecret);
    assert.equal(first.secureCookies, false);
    assert.equal(first.graphiql, true);
    assert.equal(first.introspection, true);
    assert.equal(first.fieldSuggestions, true);
  });

  it('treats empty variables as unset and applies the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: '', DATABASE_URL: '', REDIS_URL: '', JWT_SECRET: '' });
    assert.equal(config.port, 4000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.maxBodyBytes, 1_048_576);
    assert.equal(config.accessTokenTtlSeconds, 900);
    assert.deepEqual(config.limits, {
      loginFailuresPerEmail: 5,
      loginFailuresPerAddress: 30,
      signUpsPerAddressPerHour: 10,
      subscriptionsPerConnection: 100,
      connectionsPerCredential: 50,
    });
    assert.equal(config.trustProxy, false);
    assert.deepEqual(config.corsOrigins, []);
    assert.equal(config.tracing.enabled, false);
    assert.equal(config.metrics.enabled, false);
    assert.deepEqual(config.shutdown, { drainMs: 0, replyGraceMs: 0 });
  });

  it('parses lists and booleans, and refuses booleans it cannot read', () => {
    const config = loadConfig({ DATA_DIR: dataDir, CORS_ORIGINS: ' http://a.example , ,http://b.example', TRUST_PROXY: '1', GRAPHIQL: 'false' });
    assert.deepEqual(config.corsOrigins, ['http://a.example', 'http://b.example']);
    assert.equal(config.trustProxy, true);
    assert.equal(config.graphiql, false);
    assert.ok(problemsOf({ DATA_DIR: dataDir, TRUST_PROXY: 'yes' }).some((problem) => problem.startsWith('TRUST_PROXY:')));
  });

  it('main.ts exits with code 78 and names the problem on stderr when the configuration is invalid', async () => {
    const run = runMain({ DATA_DIR: dataDir, PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'silent' });
    const { code } = await run.exited;
    assert.equal(code, 78, run.output.stderr);
    assert.match(run.output.stderr, /Invalid configuration/);
    assert.match(run.output.stderr, /PORT:/);
    assert.match(run.output.stderr, /DATABASE_URL:/);
    assert.doesNotMatch(run.output.stderr, /\n\s+at /, 'a configuration problem is not a crash: no stack trace');
  });

  it('main.ts serves /health, then exits 0 on SIGTERM after stopping', async () => {
    const run = runMain({ DATA_DIR: await newDataDir(), HOST: '127.0.0.1', PORT: '0', DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'info' });
    try {
      const url = await readyUrl(run);
      const health = await fetch(new URL('/health', url));
      assert.equal(health.status, 200);
      run.child.kill('SIGTERM');
      assert.deepEqual(await run.exited, { code: 0, signal: null });
      assert.match(run.output.stdout, /"msg":"stopped"/);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    }
  });

  it('main.ts reads .env from its working directory, and a variable set in the environment wins', async () => {
    const cwd = await newDataDir();
    await writeFile(join(cwd, '.env'), ['# settings', 'JWT_SECRET=too-short', 'GRAPHIQL=false', `DATA_DIR=${join(cwd, 'data')}`, 'HOST=127.0.0.1', 'PORT=0', ''].join('\n'));
    const refused = runMain({ DATABASE_URL: '', REDIS_URL: '' }, { cwd });
    assert.deepEqual(await refused.exited, { code: 78, signal: null });
    assert.match(refused.output.stderr, /JWT_SECRET: must be at least 32 characters/);

    const run = runMain({ JWT_SECRET: 's'.repeat(32), DATABASE_URL: '', REDIS_URL: '', LOG_LEVEL: 'info' }, { cwd });
    try {
      const url = await readyUrl(run);
      const page = await fetch(new URL('/graphql', url), { headers: { accept: 'text/html' } });
      assert.ok(page.status !== 200 && !page.headers.get('content-type')?.includes('text/html'), 'GRAPHIQL=false from .env must hide GraphiQL');
      assert.ok(statSync(join(cwd, 'data')).isDirectory(), 'DATA_DIR from .env');
      run.child.kill('SIGTERM');
      assert.deepEqual(await run.exited, { code: 0, signal: null });
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    }
  });
});
