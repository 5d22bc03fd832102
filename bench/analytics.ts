/**
 * analyticsSummary and analyticsTimeseries over HTTP on one tenant holding N/10 and then N channel
 * messages (10 per conversation) and as many leads as conversations, spread over a year: query
 * time p50/p99 and how it grows with ten times the rows. There is no other server doing the same
 * job to compare with, so the baselines of this run are that growth ratio and a floor: `SELECT
 * count(*)` over the same range of the tenant's messages, straight on the database.
 * Standalone: `npx tsx bench/analytics.ts` (BENCH_ANALYTICS_MAX=100000 for a quick run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type SqlSession } from '../src/db/client.ts';
import { createLogger } from '../src/logger.ts';
import { AnalyticsSummaryQuery, AnalyticsTimeseriesQuery } from '../test/support/analytics-operations.ts';
import { GraphQLClient } from '../test/support/client.ts';
import { createKey, signUpTenant } from '../test/support/fixtures.ts';
import { countMessages, MESSAGES_PER_CONVERSATION, seedAnalytics } from './support/analytics-seed.ts';
import { REPO_ROOT, withServer } from './support/processes.ts';
import { fixed, ratio, table } from './support/table.ts';
import { forEachBackend, PRODUCTION_ENV, startApp } from './support/targets.ts';
import { percentile } from './support/webhook-load.ts';

const MAX_MESSAGES = Number(process.env.BENCH_ANALYTICS_MAX ?? 1_000_000);
/** The two sizes compared: N/10 and N messages (N/100 and N/10 leads). */
const SIZES = [MAX_MESSAGES / 10, MAX_MESSAGES].map((messages) => Math.round(messages / MESSAGES_PER_CONVERSATION) * MESSAGES_PER_CONVERSATION);
const RUNS = Number(process.env.BENCH_ANALYTICS_RUNS ?? 30);
const WARMUP_RUNS = 3;
const DAY_MS = 86_400_000;

type Range = { from: Date; to: Date };
type Query = { name: string; days: number; send(client: GraphQLClient, apiKey: string, range: Range): Promise<unknown> };

const vars = ({ from, to }: Range) => ({ from: from.toISOString(), to: to.toISOString() });
const QUERIES: Query[] = [
  { name: 'analyticsSummary, 365 days', days: 365, send: (client, apiKey, range) => client.data(AnalyticsSummaryQuery, vars(range), { apiKey }) },
  { name: 'analyticsSummary, 30 days', days: 30, send: (client, apiKey, range) => client.data(AnalyticsSummaryQuery, vars(range), { apiKey }) },
  {
    name: 'analyticsTimeseries DAY, 90 days',
    days: 90,
    send: (client, apiKey, range) => client.data(AnalyticsTimeseriesQuery, { ...vars(range), interval: 'DAY' }, { apiKey }),
  },
  {
    name: 'analyticsTimeseries WEEK, 365 days',
    days: 365,
    send: (client, apiKey, range) => client.data(AnalyticsTimeseriesQuery, { ...vars(range), interval: 'WEEK' }, { apiKey }),
  },
];

type Latency = { p50: number; p99: number };

export type AnalyticsRow = {
  target: string;
  query: string;
  /** The tenant's channel messages and leads in all, and its messages inside the query's range. */
  messages: number;
  leads: number;
  messagesInRange: number;
  latencyMs: Latency;
  /** `SELECT count(*)` of the messages in range, on one SQL session of this process. */
  floorMs: Latency;
  /** p50 / floor p50. */
  vsFloor: number;
  /** The machine's 1-minute load average after the runs: above its core count, figures are noisy. */
  loadAverage: number;
};

export type AnalyticsGrowth = { target: string; query: string; from: number; to: number; p50: number; p99: number; floorP50: number };

export type AnalyticsReport = {
  settings: { sizes: number[]; runs: number; warmupRuns: number };
  rows: AnalyticsRow[];
  growth: AnalyticsGrowth[];
  seeding: { target: string; messages: number; seconds: number }[];
  skipped: string[];
};

export async function analytics(log: (line: string) => void): Promise<AnalyticsReport> {
  const report: AnalyticsReport = { settings: { sizes: SIZES, runs: RUNS, warmupRuns: WARMUP_RUNS }, rows: [], growth: [], seeding: [], skipped: [] };
  // Data lies in the year before it and every range ends at it, so both sizes cover the same time.
  const anchor = new Date();
  await forEachBackend(report.skipped, async (backend, env) => {
    const target = `app ${backend.name}`;
    const appEnv = { ...PRODUCTION_ENV, ...env };
    const { tenantId, apiKey } = await withServer(() => startApp(appEnv), (app) => signUpAnalyst(app.origin));
    let conversations = 0;
    for (const messages of SIZES) {
      log(`${target}: seeding up to ${messages} messages with the app stopped`);
      const seed = { from: conversations, to: messages / MESSAGES_PER_CONVERSATION };
      const started = performance.now();
      const floors = await withSession(env, async (session) => {
        await seedAnalytics(session, tenantId, anchor, seed.from, seed.to);
        report.seeding.push({ target, messages, seconds: (performance.now() - started) / 1000 });
        log(`${target}: seeded in ${fixed((performance.now() - started) / 1000)} s; measuring the count(*) floors`);
        return floorsOf(session, tenantId, anchor);
      });
      conversations = seed.to;
      await withServer(() => startApp(appEnv), async (app) => {
        const client = new GraphQLClient(app.origin);
        for (const [index, query] of QUERIES.entries()) {
          log(`${target}, ${messages} messages: ${query.name} x ${RUNS}`);
          const latencyMs = latency(await timed(() => query.send(client, apiKey, rangeOf(query, anchor))));
          const floor = floors[index]!;
          report.rows.push({
            target,
            query: query.name,
            messages,
            leads: conversations,
            messagesInRange: floor.rows,
            latencyMs,
            floorMs: floor.latencyMs,
            vsFloor: latencyMs.p50 / floor.latencyMs.p50,
            loadAverage: loadavg()[0]!,
          });
        }
      });
    }
    report.growth.push(...growthOf(report.rows.filter((row) => row.target === target)));
  });
  return report;
}

/** A new tenant and an API key of its admin that may only read analytics. */
async function signUpAnalyst(origin: string) {
  const client = new GraphQLClient(origin);
  const { token, tenant } = await signUpTenant(client, 'Bench analytics');
  const { key } = await createKey(client, token, ['analytics:read']);
  return { tenantId: tenant.id, apiKey: key };
}

/** One SQL session on the database the app of `env` uses (embedded or Postgres), closed afterwards. */
async function withSession<T>(env: Record<string, string>, work: (session: SqlSession) => Promise<T>): Promise<T> {
  const db = await createDatabase({ databaseUrl: env.DATABASE_URL || undefined, dataDir: env.DATA_DIR!, logger: createLogger('warn') });
  try {
    return await db.withSession(work);
  } finally {
    await db.close();
  }
}

const rangeOf = (query: Query, anchor: Date): Range => ({ from: new Date(anchor.getTime() - query.days * DAY_MS), to: anchor });

async function floorsOf(session: SqlSession, tenantId: string, anchor: Date) {
  const floors = [];
  for (const query of QUERIES) {
    const { from, to } = rangeOf(query, anchor);
    const rows = await countMessages(session, tenantId, from, to);
    floors.push({ rows, latencyMs: latency(await timed(() => countMessages(session, tenantId, from, to))) });
  }
  return floors;
}

/** Milliseconds of each of RUNS calls, one at a time, after WARMUP_RUNS discarded ones. */
async function timed(once: () => Promise<unknown>): Promise<number[]> {
  for (let run = 0; run < WARMUP_RUNS; run++) await once();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  return times;
}

const latency = (times: number[]): Latency => ({ p50: percentile(times, 50), p99: percentile(times, 99) });

function growthOf(rows: AnalyticsRow[]): AnalyticsGrowth[] {
  return QUERIES.flatMap(({ name }) => {
    const [small, large] = SIZES.map((messages) => rows.find((row) => row.query === name && row.messages === messages));
    if (!small || !large) return [];
    return [{
      target: small.target,
      query: name,
      from: small.messages,
      to: large.messages,
      p50: large.latencyMs.p50 / small.latencyMs.p50,
      p99: large.latencyMs.p99 / small.latencyMs.p99,
      floorP50: large.floorMs.p50 / small.floorMs.p50,
    }];
  });
}

export function analyticsTables(report: AnalyticsReport): string {
  const [small, large] = report.settings.sizes;
  const latencies = table(
    `Analytics over HTTP, one tenant, data spread over a year: ${RUNS} requests one at a time after ${WARMUP_RUNS} warm-up (NODE_ENV=production)`,
    ['target', 'query', 'messages', 'leads', 'msgs in range', 'p50 ms', 'p99 ms', 'floor p50 ms', 'floor p99 ms', 'vs floor', 'load'],
    report.rows.map((row) => [
      row.target,
      row.query,
      row.messages,
      row.leads,
      row.messagesInRange,
      fixed(row.latencyMs.p50, 1),
      fixed(row.latencyMs.p99, 1),
      fixed(row.floorMs.p50, 1),
      fixed(row.floorMs.p99, 1),
      ratio(row.vsFloor),
      fixed(row.loadAverage, 1),
    ]),
  );
  const growth = table(
    `Growth from ${small} to ${large} messages (${small! / MESSAGES_PER_CONVERSATION} to ${large! / MESSAGES_PER_CONVERSATION} leads): 10x the rows`,
    ['target', 'query', 'p50 growth', 'p99 growth', 'floor p50 growth'],
    report.growth.map((row) => [row.target, row.query, ratio(row.p50), ratio(row.p99), ratio(row.floorP50)]),
  );
  const notes = [
    "  floor: `SELECT count(*)` of the tenant's messages in the query's range as the database plans it, from a SQL session in the",
    '  bench process (no HTTP, no GraphQL): about the least a query reading those rows costs. vs floor: p50 / floor p50.',
    `  p99 of ${RUNS} runs is the slowest run. The analytics queries run with JIT off (src/modules/analytics/service.ts).`,
    `  load: the machine's 1-minute load average after the runs (${cpus().length} CPUs); above that, other work competed for them.`,
    '  growth: p50 (p99) at the larger size / at the smaller; 10x would be linear in the rows, the floor shows what counting alone does.',
    `  seeding (INSERT ... SELECT generate_series, then ANALYZE and VACUUM): ${report.seeding.map((seed) => `${seed.target} to ${seed.messages} ${fixed(seed.seconds)} s`).join(', ')}`,
    ...report.skipped.map((reason) => `  (${reason})`),
  ];
  return [latencies, growth, ...notes].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const startedAt = new Date();
  const log = (line: string) => console.error(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s] ${line}`);
  const report = await analytics(log);
  console.log(analyticsTables(report));
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `analytics-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), ...report }, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
  process.exit(0);
}
