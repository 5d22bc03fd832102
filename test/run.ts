/**
 * `npm test`: starts one PostgreSQL and one Redis for the whole run, prepares the migrated
 * templates (a PostgreSQL template database, the embedded database's template directory), then
 * runs the test files in a few processes side by side, each taking the next file from a queue
 * (test/support/file-group.ts), each file a suite of its own. Each file still gets its own
 * databases and DATA_DIRs, copied from the templates; a file run alone (`node --import tsx --test test/x.test.ts`) starts its own servers.
 */
import { spawn } from 'node:child_process';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { openPool } from '../src/db/pool.ts';
import { ensureTemplate } from '../src/db/embedded/template.ts';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/logger.ts';
import { externalServicesSkipReason, startPostgres, startRedis } from './support/services.ts';
import { SHARED_SERVICES_ENV, TEMPLATE_DATABASE } from './support/shared-services.ts';

/** Seconds each file took in the last run here: a cache, never committed. */
const DURATIONS_FILE = 'node_modules/.cache/convo-graph/test-durations.json';
/** What the type-check learned in the last run, so that it checks again only what changed. */
const TSC_BUILD_INFO = 'node_modules/.cache/convo-graph/tsc.tsbuildinfo';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'warn');
const started = performance.now();

const files = readdirSync('test', { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts') && !file.startsWith('generated'))
  .map((file) => join('test', file))
  .sort();
const concurrency = Number(process.env.TEST_CONCURRENCY ?? availableParallelism() * 2);

const env: Record<string, string> = { ...(process.env as Record<string, string>) };
const skip = externalServicesSkipReason();
const servers = skip ? undefined : await Promise.all([startPostgres(), startRedis()]);
try {
  await ensureTemplate(logger);
  if (servers) {
    const [postgres, redis] = servers;
    const templateUrl = await postgres.createDatabase(TEMPLATE_DATABASE);
    const template = await openPool({ connectionString: templateUrl, max: 1 }, 'postgres', logger);
    await migrate(template, logger).finally(() => template.close());
    env[SHARED_SERVICES_ENV.postgresUrl] = postgres.url;
    env[SHARED_SERVICES_ENV.redisUrl] = redis.url;
  }
  console.log(`prepared in ${Math.round(performance.now() - started)} ms; ${files.length} files in ${concurrency} processes`);
  // The type-check runs beside the tests rather than before them; either failing fails the run.
  const typeCheck = run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '--incremental', '--tsBuildInfoFile', TSC_BUILD_INFO]);
  const testsCode = await runQueue(longestFirst(files), concurrency, env);
  const typeCheckCode = await typeCheck;
  if (typeCheckCode !== 0) console.error('type-check failed (tsc --noEmit): see above');
  process.exitCode = testsCode || typeCheckCode;
} finally {
  await Promise.all((servers ?? []).map((server) => server.stop()));
  console.log(`whole run: ${Math.round((performance.now() - started) / 1000)} s`);
}

/**
 * The files, longest first, so that the last ones handed out are short and the processes finish
 * together. A file's weight is its duration in the last run on this machine (kept in
 * node_modules/.cache), or its size.
 */
function lastDurations(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(DURATIONS_FILE, 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function longestFirst(testFiles: string[]): string[] {
  const known = lastDurations();
  const bytesPerSecond = 1500;
  return testFiles
    .map((file) => ({ file, weight: known[file] ?? statSync(file).size / bytesPerSecond }))
    .sort((a, b) => b.weight - a.weight)
    .map(({ file }) => file);
}

function run(command: string, args: string[]): Promise<number> {
  const child = spawn(command, args, { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}

/**
 * Runs the files in `count` processes, each taking the next file from the queue when it is done
 * with one; prints each process's report once it is done. Answers the exit code.
 */
async function runQueue(queue: string[], count: number, childEnv: Record<string, string>): Promise<number> {
  const reports = await mkdtemp(join(tmpdir(), 'convo-test-reports-'));
  const children = Array.from({ length: Math.min(count, queue.length) }, (_, index) => {
    const report = join(reports, `group-${index}.txt`);
    const child = spawn(
      process.execPath,
      ['--liftoff-only', '--import', 'tsx', '--test-reporter=spec', `--test-reporter-destination=${report}`, 'test/support/file-group.ts'],
      { env: childEnv, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] },
    );
    // An empty answer: no file left.
    child.on('message', () => child.send(queue.shift() ?? ''));
    const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
    return { child, report, exited };
  });
  const forward = (signal: NodeJS.Signals) => children.forEach(({ child }) => child.kill(signal));
  process.once('SIGINT', forward);
  process.once('SIGTERM', forward);
  const codes: number[] = [];
  const durations: Record<string, number> = {};
  for (const { report, exited } of children) {
    codes.push(await exited);
    await pipeline(createReadStream(report), process.stdout, { end: false }).catch(() => {});
    const text = await readFile(report, 'utf8').catch(() => '');
    for (const [, file, ms] of text.matchAll(/^[✔✖] (test\/\S+\.test\.ts) \(([\d.]+)ms\)$/gmu)) durations[file!] = Number(ms) / 1000;
  }
  await rm(reports, { recursive: true, force: true });
  await mkdir(dirname(DURATIONS_FILE), { recursive: true });
  await writeFile(DURATIONS_FILE, JSON.stringify({ ...lastDurations(), ...durations }, null, 1)).catch(() => {});
  return codes.find((code) => code !== 0) ?? 0;
}
