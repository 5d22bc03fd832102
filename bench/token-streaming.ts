/**
 * Agent tokens streamed to `messageStream` subscribers over graphql-ws, against a bare `ws` relay
 * of the same SSE answer (bench/servers/ws-relay.ts) measured in the same run: the latency from
 * the agent writing a token to each subscriber receiving it, with 1 and BENCH_SUBSCRIBERS
 * subscribers on one reply; tokens per second with the agent writing as fast as it can; and the
 * memory of each idle subscriber of a reply that streams but is silent. The same latency and rate
 * rounds, with one subscriber, for an OPENAI_COMPATIBLE agent whose provider streams chat-completion
 * chunks, against the relay of those same chunks. The agent stand-in and
 * the subscribers share this process (one clock); each server is its own child process.
 * Standalone: `npx tsx bench/token-streaming.ts` (BENCH_TOKENS=100 BENCH_SUBSCRIBERS=50 for a quick run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT, startServer, withServer } from './support/processes.ts';
import { GC_NODE_ARGS, settledMemory } from './support/settled-memory.ts';
import { startUpstream } from './support/sse-upstream.ts';
import { DONE_TIMEOUT_MS, latencies, lost, streamRound, tokensPerSecond, within, type Latency } from './support/stream-rounds.ts';
import { closeAll, openLive, type Subscriber } from './support/stream-subscribers.ts';
import { appTarget, RELAY_SCRIPT, relayTarget, type StreamTarget } from './support/stream-targets.ts';
import { fixed, mb, ratio, table } from './support/table.ts';
import { forEachBackend, PRODUCTION_ENV, startApp } from './support/targets.ts';

const burstTokens = Number(process.env.BENCH_BURST_TOKENS ?? 5000);
const SETTINGS = {
  /** Paced tokens per latency round, and the pause after each: slow enough to measure latency, not queueing. */
  tokens: Number(process.env.BENCH_TOKENS ?? 300),
  intervalMs: Number(process.env.BENCH_TOKEN_INTERVAL_MS ?? 10),
  /** Subscribers of one reply in the crowded rounds, paced slower since every token is a fan-out to all. */
  subscribers: Number(process.env.BENCH_SUBSCRIBERS ?? 500),
  crowdedIntervalMs: Number(process.env.BENCH_CROWDED_INTERVAL_MS ?? 50),
  /** Tokens written back to back per throughput round; a tenth of them to the crowd, to keep it short. */
  burstTokens,
  crowdedBurstTokens: Math.max(100, Math.round(burstTokens / 10)),
};
/** A discarded round first, so the measured ones do not pay for cold code. */
const WARMUP = { subscribers: 20, tokens: 300, intervalMs: 1 };

const APP_ENV = {
  ...PRODUCTION_ENV,
  ALLOW_PRIVATE_URLS: '127.0.0.1',
  // Every subscriber of the bench is the same user, each on a connection of its own.
  WS_MAX_CONNECTIONS_PER_CREDENTIAL: '100000',
  // The memory round holds a reply silent for a while; the default would fail it after 30 s.
  AGENT_IDLE_TIMEOUT_MS: '600000',
  ACCESS_TOKEN_TTL_SECONDS: '86400',
};

/** What the agent streams: n8n-style events to a WEBHOOK agent, or chat-completion chunks to an OPENAI_COMPATIBLE one. */
export type Protocol = 'webhook' | 'chat completions';

export type StreamRow = {
  target: string;
  protocol: Protocol;
  subscribers: number;
  intervalMs: number;
  latencyMs: Latency;
  burst: {
    tokens: number;
    tokensPerSecond: number;
    lost: number;
    /** Server CPU per token delivered to one subscriber. */
    serverCpuMicrosPerDelivery: number;
    /** Cores busy meanwhile: the server, this process (agent and subscribers), the rest of the machine. */
    cores: { server: number; bench: number; other: number };
  };
  /** Against the baseline with as many subscribers: latency (row / baseline), rate and CPU per delivery (baseline / row). */
  vsBaseline: { p50: number; p99: number; tokensPerSecond: number; cpu: number };
};

type Memory = { rssBytes: number; heapBytes: number };

export type MemoryRow = {
  target: string;
  idle: Memory;
  withSubscribers: Memory;
  /** (with - idle) / subscribers, in KB. */
  rssKbPerSubscriber: number;
  heapKbPerSubscriber: number;
  /** heapKbPerSubscriber / the baseline's: RSS moves in steps too coarse for the baseline's few KB. */
  vsBaseline: number;
};

export type TokenStreamingReport = { settings: typeof SETTINGS; rows: StreamRow[]; memory: MemoryRow[]; skipped: string[]; failed: string[] };

export async function tokenStreaming(log: (line: string) => void): Promise<TokenStreamingReport> {
  const upstream = await startUpstream();
  const chunks = await startUpstream('chat-completions');
  const report: TokenStreamingReport = { settings: SETTINGS, rows: [], memory: [], skipped: [], failed: [] };
  const warmUp = async (target: StreamTarget) => {
    log(`${target.name}: warm-up`);
    await streamRound(target, WARMUP.subscribers, WARMUP.tokens, (reply) => reply.paced(WARMUP.tokens, WARMUP.intervalMs));
  };
  const measure = async (target: StreamTarget) => {
    // Memory first: streaming leaves buffers and a grown heap that shrink back for a long while.
    log(`${target.name}: memory of ${SETTINGS.subscribers} idle subscribers`);
    report.memory.push(await memoryRound(target));
    await warmUp(target);
    for (const subscribers of [1, SETTINGS.subscribers]) report.rows.push(await streamRounds(target, subscribers, 'webhook', log));
  };
  const measureChunks = async (target: StreamTarget) => {
    await warmUp(target);
    report.rows.push(await streamRounds(target, 1, 'chat completions', log));
  };
  try {
    await withServer(
      () => startServer(RELAY_SCRIPT, {}, GC_NODE_ARGS),
      async (relay) => {
        await measure(relayTarget(relay, upstream));
        await measureChunks(relayTarget(relay, chunks, 'baseline: bare ws relay of chat-completion chunks'));
      },
    );
    await forEachBackend(report.skipped, (backend, env) =>
      withServer(
        () => startApp({ ...APP_ENV, ...env }, GC_NODE_ARGS),
        async (app) => {
          try {
            await measure(await appTarget(`app ${backend.name}: messageStream`, app, upstream));
            await measureChunks(await appTarget(`app ${backend.name}: OPENAI_COMPATIBLE agent`, app, chunks, 'OPENAI_COMPATIBLE'));
          } catch (error) {
            log(`app (${backend.name}) failed: ${(error as Error).message}`);
            report.failed.push(`${backend.name}: ${(error as Error).message}`);
          }
        },
      ),
    );
  } finally {
    await Promise.all([upstream.close(), chunks.close()]);
  }
  compareWithBaseline(report);
  return report;
}

async function streamRounds(target: StreamTarget, subscribers: number, protocol: Protocol, log: (line: string) => void): Promise<StreamRow> {
  const crowded = subscribers > 1;
  const { tokens } = SETTINGS;
  const intervalMs = crowded ? SETTINGS.crowdedIntervalMs : SETTINGS.intervalMs;
  log(`${target.name}: ${tokens} tokens every ${intervalMs} ms to ${subscribers} subscriber(s)`);
  const paced = await streamRound(target, subscribers, tokens, (reply) => reply.paced(tokens, intervalMs));
  const burstTokens = crowded ? SETTINGS.crowdedBurstTokens : SETTINGS.burstTokens;
  log(`${target.name}: ${burstTokens} tokens back to back to ${subscribers} subscriber(s)`);
  const burst = await streamRound(target, subscribers, burstTokens, (reply) => reply.burst(burstTokens));
  const cores = (seconds: number) => seconds / burst.seconds;
  return {
    target: target.name,
    protocol,
    subscribers,
    intervalMs,
    latencyMs: latencies(paced),
    burst: {
      tokens: burstTokens,
      tokensPerSecond: tokensPerSecond(burst),
      lost: lost(burst.receivedAt),
      serverCpuMicrosPerDelivery: (burst.cpuSeconds.server * 1e6) / (burstTokens * subscribers),
      cores: { server: cores(burst.cpuSeconds.server), bench: cores(burst.cpuSeconds.bench), other: cores(burst.cpuSeconds.other) },
    },
    vsBaseline: { p50: 1, p99: 1, tokensPerSecond: 1, cpu: 1 },
  };
}

/**
 * The server's memory with a silent reply and no subscriber, then with BENCH_SUBSCRIBERS on it.
 * A few subscribers come and go first, so that code run once per process is not counted.
 */
async function memoryRound(target: StreamTarget): Promise<MemoryRow> {
  const { reply, subscribe } = await target.open();
  let followers: Subscriber[] = [];
  try {
    closeAll(await openLive(WARMUP.subscribers, () => subscribe(0)));
    const idle = await settledMemory(target.server);
    followers = await openLive(SETTINGS.subscribers, () => subscribe(0));
    const withSubscribers = await settledMemory(target.server);
    reply.end();
    await within(Promise.all(followers.map((follower) => follower.ended)), DONE_TIMEOUT_MS, 'DONE at every idle subscriber');
    const perSubscriber = (key: keyof Memory) => (withSubscribers[key] - idle[key]) / SETTINGS.subscribers / 1024;
    return {
      target: target.name,
      idle,
      withSubscribers,
      rssKbPerSubscriber: perSubscriber('rssBytes'),
      heapKbPerSubscriber: perSubscriber('heapBytes'),
      vsBaseline: 1,
    };
  } finally {
    reply.end();
    closeAll(followers);
  }
}

function compareWithBaseline({ rows, memory }: TokenStreamingReport) {
  const isBaseline = (row: { target: string }) => row.target.startsWith('baseline');
  for (const row of rows) {
    const base = rows.find((other) => isBaseline(other) && other.subscribers === row.subscribers && other.protocol === row.protocol);
    if (!base) continue;
    row.vsBaseline = {
      p50: row.latencyMs.p50 / base.latencyMs.p50,
      p99: row.latencyMs.p99 / base.latencyMs.p99,
      tokensPerSecond: row.burst.tokensPerSecond / base.burst.tokensPerSecond,
      cpu: base.burst.serverCpuMicrosPerDelivery / row.burst.serverCpuMicrosPerDelivery,
    };
  }
  const base = memory.find(isBaseline);
  for (const row of memory) if (base) row.vsBaseline = row.heapKbPerSubscriber / base.heapKbPerSubscriber;
}

/** The report as tables, with the reasons for any backend skipped or failed. */
export function tokenStreamingTables(report: TokenStreamingReport): string {
  const { tokens, subscribers } = report.settings;
  const webhookRows = report.rows.filter((row) => row.protocol === 'webhook');
  const chunkRows = report.rows.filter((row) => row.protocol === 'chat completions');
  const latency = table(
    `Agent token -> WebSocket subscribers of one reply: the agent's write to each subscriber's receipt, ${tokens} paced tokens (NODE_ENV=production)`,
    ['target', 'subscribers', 'one every', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'p50 vs base', 'p99 vs base'],
    webhookRows.map((row) => [
      row.target,
      row.subscribers,
      `${row.intervalMs} ms`,
      fixed(row.latencyMs.p50, 2),
      fixed(row.latencyMs.p99, 2),
      fixed(row.latencyMs.max, 1),
      row.latencyMs.lost,
      ratio(row.vsBaseline.p50),
      ratio(row.vsBaseline.p99),
    ]),
  );
  const rate = table(
    'Tokens written back to back by the agent: tokens/s from the first receipt at any subscriber to the last',
    ['target', 'subscribers', 'tokens', 'tokens/s', 'vs base', 'lost', 'server CPU µs/delivery', 'by CPU', 'server cores', 'bench cores', 'other cores'],
    webhookRows.map(({ target, subscribers, burst, vsBaseline }) => [
      target,
      subscribers,
      burst.tokens,
      fixed(burst.tokensPerSecond),
      ratio(vsBaseline.tokensPerSecond),
      burst.lost,
      fixed(burst.serverCpuMicrosPerDelivery, 1),
      ratio(vsBaseline.cpu),
      fixed(burst.cores.server, 2),
      fixed(burst.cores.bench, 2),
      fixed(burst.cores.other, 2),
    ]),
  );
  const memory = table(
    `Memory per idle subscriber of a silent reply: server VmRSS and JS heap (+external) after a full GC, 0 vs ${subscribers} subscribers`,
    ['target', 'RSS idle', `RSS with ${subscribers}`, 'RSS KB/subscriber', 'heap KB/subscriber', 'heap vs base'],
    report.memory.map((row) => [
      row.target,
      mb(row.idle.rssBytes),
      mb(row.withSubscribers.rssBytes),
      fixed(row.rssKbPerSubscriber, 1),
      fixed(row.heapKbPerSubscriber, 1),
      ratio(row.vsBaseline),
    ]),
  );
  const chunkBase = chunkRows.find((row) => row.target.startsWith('baseline'));
  const added = (row: StreamRow, key: 'p50' | 'p99') => (chunkBase ? fixed(row.latencyMs[key] - chunkBase.latencyMs[key], 2) : '-');
  const openAiCompatible = table(
    `OPENAI_COMPATIBLE agent: chat-completion chunks -> 1 WebSocket subscriber, ${tokens} paced tokens, and back to back; added = row - the bare relay of the same chunks`,
    ['target', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms', 'p50 vs base', 'tokens/s', 'vs base', 'server CPU µs/token', 'by CPU'],
    chunkRows.map((row) => [
      row.target,
      fixed(row.latencyMs.p50, 2),
      fixed(row.latencyMs.p99, 2),
      added(row, 'p50'),
      added(row, 'p99'),
      ratio(row.vsBaseline.p50),
      fixed(row.burst.tokensPerSecond),
      ratio(row.vsBaseline.tokensPerSecond),
      fixed(row.burst.serverCpuMicrosPerDelivery, 1),
      ratio(row.vsBaseline.cpu),
    ]),
  );
  const notes = [
    "  delivery: one token to one subscriber. by CPU: the baseline's server CPU per delivery divided by the row's.",
    '  bench cores: this process (agent stand-in and every subscriber socket); other cores: the rest of the machine (noise, Postgres, Redis).',
    '  RSS drifts by up to ~1.5 MB on its own (±3 KB per subscriber at 500): below that, read the heap figure, exact after a full GC.',
    ...report.skipped.map((reason) => `  (${reason})`),
    ...report.failed.map((reason) => `  FAILED ${reason}`),
  ];
  return [latency, rate, memory, openAiCompatible, ...notes].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const startedAt = new Date();
  const log = (line: string) => console.error(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(3)}s] ${line}`);
  const report = await tokenStreaming(log);
  console.log(tokenStreamingTables(report));
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `token-streaming-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify({ startedAt: startedAt.toISOString(), ...report }, null, 2)}\n`);
  console.log(`\nWrote ${file}`);
  process.exit(report.failed.length ? 1 : 0);
}
