/**
 * `npm run bench`: every benchmark with its baseline measured in the same run, printed as tables
 * and written to bench/results/<timestamp>.json. Exits 1 if a load run had any failed request or
 * token streaming failed on a backend.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { analytics, analyticsTables } from './analytics.ts';
import { idleMemory } from './idle-memory.ts';
import { inboundMessages, inboundTables } from './inbound-messages.ts';
import { meThroughput } from './me-throughput.ts';
import { startup, STARTUP_RUNS } from './startup.ts';
import { fanOut, fanOutTable } from './fan-out.ts';
import { tokenStreaming, tokenStreamingTables } from './token-streaming.ts';
import { deliveriesTable, webhookDeliveries } from './webhook-deliveries.ts';
import { MEASURE_SECONDS, WARMUP_SECONDS } from './support/load.ts';
import { REPO_ROOT } from './support/processes.ts';
import { fixed, mb, ratio, table } from './support/table.ts';

const TARGET_RATIO = 0.4;
const began = Date.now();
const log = (line: string) => console.error(`[bench ${((Date.now() - began) / 1000).toFixed(0).padStart(3)}s] ${line}`);

const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryBytes: totalmem() };
log(`node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); warm-up ${WARMUP_SECONDS}s, measured ${MEASURE_SECONDS}s per target`);

const throughput = await meThroughput(log);
const memory = await idleMemory(log);
const starts = await startup(log);
const deliveries = await webhookDeliveries(log);
const streaming = await tokenStreaming(log);
const fanOutRun = await fanOut(log);
const analyticsQueries = await analytics(log);
const inbound = await inboundMessages(log);

console.log(
  table(
    `Authenticated \`me\` over HTTP: ${throughput.connections} keep-alive connections, pipelining 1, ${MEASURE_SECONDS}s after ${WARMUP_SECONDS}s warm-up (NODE_ENV=production, LOG_LEVEL=warn)`,
    ['target', 'req/s', 'vs baseline', 'p50 ms', 'p99 ms', 'failed', 'server CPU µs/req', 'by CPU', 'server cores', 'other cores', 'RSS after', 'peak RSS'],
    throughput.rows.map((row) => [
      row.target,
      fixed(row.requestsPerSecond),
      ratio(row.ratio),
      fixed(row.latencyMs.p50),
      fixed(row.latencyMs.p99),
      row.failures.length ? row.failures.join(' ') : '0',
      fixed(row.serverCpuMicrosPerRequest),
      ratio(row.cpuRatio),
      fixed(row.cpu.server, 2),
      fixed(row.cpu.machine - row.cpu.server - row.cpu.loadGenerator, 2),
      mb(row.rssAfterBytes),
      mb(row.peakRssBytes),
    ]),
  ),
);
console.log(
  `  by CPU: baseline's server CPU µs/req divided by the row's. server cores: CPU of the server process; other cores: the rest of\n` +
    `  this ${machine.cpus}-CPU machine minus the load generator (Postgres and Redis, or other work; high values mean a noisy run).`,
);
for (const reason of throughput.skipped) console.log(`  (${reason})`);
console.log(
  table(
    'Idle resident memory (VmRSS, 2 s after /ready)',
    ['target', 'RSS', 'vs baseline'],
    memory.map((row) => [row.target, mb(row.rssBytes), ratio(row.ratio)]),
  ),
);
console.log(
  table(
    `Start-up: spawn as \`npm start\` does to the first 200 from /ready (median of ${STARTUP_RUNS})`,
    ['target', 'median ms', 'vs baseline', 'runs ms'],
    starts.map((row) => [row.target, row.medianMs, ratio(row.ratio), row.runsMs.join(', ')]),
  ),
);
console.log(deliveriesTable(deliveries));
console.log(tokenStreamingTables(streaming));
console.log(fanOutTable(fanOutRun.rows));
for (const line of fanOutRun.skipped) console.log(line);
console.log(analyticsTables(analyticsQueries));
console.log(inboundTables(inbound));

const appRows = throughput.rows.filter((row) => row.target.startsWith('app'));
const below = appRows.filter((row) => row.ratio < TARGET_RATIO);
console.log(
  `\nme throughput target (>= ${TARGET_RATIO}x baseline): ${below.length ? `NOT met by ${below.map((row) => row.target).join('; ')}` : 'met by every app row'}`,
);

const failed = throughput.rows.filter((row) => row.failures.length);
const resultsDir = join(REPO_ROOT, 'bench', 'results');
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `${new Date(began).toISOString().replace(/[:.]/g, '-')}.json`);
const report = {
  startedAt: new Date(began).toISOString(),
  durationSeconds: (Date.now() - began) / 1000,
  machine,
  settings: { warmupSeconds: WARMUP_SECONDS, measureSeconds: MEASURE_SECONDS, startupRuns: STARTUP_RUNS, targetRatio: TARGET_RATIO },
  meThroughput: throughput,
  idleMemory: memory,
  startup: starts,
  webhookDeliveries: deliveries,
  tokenStreaming: streaming,
  fanOut: fanOutRun,
  analytics: analyticsQueries,
  inboundMessages: inbound,
};
await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nWrote ${file} (${report.durationSeconds.toFixed(0)} s total)`);

if (failed.length) {
  console.error(`Failed requests in: ${failed.map((row) => `${row.target} (${row.failures.join(' ')})`).join('; ')}`);
  process.exit(1);
}
if (streaming.failed.length) {
  console.error(`Token streaming failed on: ${streaming.failed.join('; ')}`);
  process.exit(1);
}
const lostFanOut = fanOutRun.rows.filter((row) => row.lost > 0);
if (lostFanOut.length) {
  console.error(`Fan-out lost deliveries on: ${lostFanOut.map((row) => `${row.target} × ${row.subscribers} (${row.lost})`).join('; ')}`);
  process.exit(1);
}
if (inbound.failed.length) {
  console.error(`Inbound messages failed on: ${inbound.failed.join('; ')}`);
  process.exit(1);
}
process.exit(0);
