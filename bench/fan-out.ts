/**
 * One event to every subscriber: BENCH_FANOUT_SIZES (1,000 and 10,000) idle graphql-ws
 * subscribers of one tenant's `auditEventCreated`, one event a second, against a bare `ws`
 * broadcast of a payload of the same size (bench/servers/ws-broadcast.ts) measured in the same
 * run. Reports latency from sending the mutation (or the broadcast request) to each subscriber's
 * receipt, server CPU per delivery, settled memory per idle subscriber, and lost deliveries.
 * The subscribers are raw `ws` sockets in this process, alike for both servers.
 * Standalone: `npx tsx bench/fan-out.ts` (BENCH_FANOUT_SIZES=200 BENCH_FANOUT_EVENTS=3 for a quick run).
 */
import { setTimeout as delay } from 'node:timers/promises';
import WebSocket from 'ws';
import { cpuSeconds, startServer, withServer, type ServerChild } from './support/processes.ts';
import { GC_NODE_ARGS, settledMemory } from './support/settled-memory.ts';
import { request } from './support/stream-targets.ts';
import { fixed, ratio, table } from './support/table.ts';
import { forEachBackend, PRODUCTION_ENV, signUp, startApp } from './support/targets.ts';

const SIZES = (process.env.BENCH_FANOUT_SIZES ?? '1000,10000').split(',').map(Number);
const EVENTS = Number(process.env.BENCH_FANOUT_EVENTS ?? 10);
const EVENT_INTERVAL_MS = 1000;
const BROADCAST_SCRIPT = 'bench/servers/ws-broadcast.ts';
const OPEN_WIDTH = 100;

const APP_ENV = {
  ...PRODUCTION_ENV,
  // Every subscriber of the bench is the same admin, each on a connection of its own.
  WS_MAX_CONNECTIONS_PER_CREDENTIAL: '100000',
  ACCESS_TOKEN_TTL_SECONDS: '86400',
};

const SUBSCRIPTION = 'subscription Audit { auditEventCreated { id type actor { type id } data createdAt } }';

export type FanOutRow = {
  target: string;
  subscribers: number;
  events: number;
  latencyMs: { p50: number; p99: number; max: number };
  lost: number;
  serverCpuMicrosPerDelivery: number;
  /** Settled RSS with the subscribers connected and idle, less before they connected, per subscriber. */
  idleBytesPerSubscriber: number;
  /** Against the baseline with as many subscribers: p99 (row / baseline) and CPU per delivery (baseline / row). */
  vsBaseline?: { p99: number; byCpu: number };
};

type Subscribers = {
  /** performance.now() at receipt, by subscriber, then by event index; NaN if it never came. */
  receivedAt: Float64Array[];
  close(): void;
};

/** What a target does: open its subscribers, and cause event `index`. */
type FanOutTarget = {
  name: string;
  server: ServerChild;
  open(count: number, events: number): Promise<Subscribers>;
  cause(index: number): Promise<void>;
};

export async function fanOut(log: (line: string) => void): Promise<{ rows: FanOutRow[]; skipped: string[] }> {
  const rows: FanOutRow[] = [];
  const skipped: string[] = [];
  const baselines = new Map<number, FanOutRow>();
  for (const size of SIZES) {
    log(`fan-out baseline: bare ws broadcast to ${size}`);
    const row = await withServer(() => startServer(BROADCAST_SCRIPT, {}, GC_NODE_ARGS), (server) => measureTarget(broadcastTarget(server), size));
    baselines.set(size, row);
    rows.push(row);
  }
  await forEachBackend(skipped, async (backend, env) => {
    for (const size of SIZES) {
      log(`fan-out app (${backend.name}): auditEventCreated to ${size}`);
      const row = await withServer(
        () => startApp({ ...APP_ENV, ...env }, GC_NODE_ARGS),
        async (server) => measureTarget(await appTarget(`app ${backend.name}`, server), size),
      );
      const baseline = baselines.get(size)!;
      rows.push({
        ...row,
        vsBaseline: { p99: row.latencyMs.p99 / baseline.latencyMs.p99, byCpu: baseline.serverCpuMicrosPerDelivery / row.serverCpuMicrosPerDelivery },
      });
    }
  });
  return { rows, skipped };
}

async function measureTarget(target: FanOutTarget, size: number): Promise<FanOutRow> {
  const before = await settledMemory(target.server);
  // Warm-up events first, one per second until every subscriber has had one: a subscription is
  // live once the server has subscribed it, which graphql-ws does not announce.
  const subscribers = await target.open(size, EVENTS + 30);
  try {
    let warmUps = 0;
    while (warmUps < 30 && !subscribers.receivedAt.every((times) => times.some((time) => !Number.isNaN(time)))) {
      await target.cause(EVENTS + warmUps++);
      await delay(EVENT_INTERVAL_MS);
    }
    const idle = await settledMemory(target.server);
    const sentAt: number[] = [];
    const cpuBefore = cpuSeconds(target.server.pid);
    for (let index = 0; index < EVENTS; index++) {
      sentAt.push(performance.now());
      await target.cause(index);
      await delay(Math.max(0, sentAt[index]! + EVENT_INTERVAL_MS - performance.now()));
    }
    const cpu = cpuSeconds(target.server.pid) - cpuBefore;
    const waits: number[] = [];
    let lost = 0;
    for (const times of subscribers.receivedAt) {
      for (let index = 0; index < EVENTS; index++) {
        const at = times[index]!;
        if (Number.isNaN(at)) lost++;
        else waits.push(at - sentAt[index]!);
      }
    }
    waits.sort((a, b) => a - b);
    const at = (quantile: number) => waits[Math.min(waits.length - 1, Math.floor(quantile * waits.length))] ?? Number.NaN;
    return {
      target: target.name,
      subscribers: size,
      events: EVENTS,
      latencyMs: { p50: at(0.5), p99: at(0.99), max: waits.at(-1) ?? Number.NaN },
      lost,
      serverCpuMicrosPerDelivery: (cpu * 1e6) / (EVENTS * size),
      idleBytesPerSubscriber: (idle.rssBytes - before.rssBytes) / size,
    };
  } finally {
    subscribers.close();
  }
}

/** A message the size of the app's: the same event, as graphql-ws frames it. */
function broadcastPayload(index: number): string {
  const event = {
    id: '0193a8f2-7c1e-7b2a-9c4d-5e6f7a8b9c0d',
    type: 'API_KEY_UPDATED',
    actor: { type: 'USER', id: '0193a8f2-7c1e-7b2a-9c4d-5e6f7a8b9c0e' },
    data: { apiKeyId: '0193a8f2-7c1e-7b2a-9c4d-5e6f7a8b9c0f', name: `fan-${index}` },
    createdAt: new Date().toISOString(),
  };
  return JSON.stringify({ id: '1', type: 'next', payload: { data: { auditEventCreated: event } } });
}

function broadcastTarget(server: ServerChild): FanOutTarget {
  return {
    name: 'baseline: bare ws broadcast',
    server,
    open: (count, events) => openSubscribers(count, events, () => new WebSocket(`ws://127.0.0.1:${server.port}/ws`), () => true),
    async cause(index) {
      const response = await fetch(`${server.origin}/broadcast`, { method: 'POST', body: broadcastPayload(index) });
      if (response.status !== 202) throw new Error(`the broadcast answered ${response.status}`);
    },
  };
}

async function appTarget(name: string, server: ServerChild): Promise<FanOutTarget> {
  const { accessToken } = await signUp(server.origin);
  const { createApiKey } = await request<{ createApiKey: { apiKey: { id: string } } }>(
    server.origin,
    accessToken,
    'mutation Create { createApiKey(input: { name: "fan-out" }) { apiKey { id } } }',
  );
  const wsUrl = `ws://127.0.0.1:${server.port}/graphql`;
  return {
    name,
    server,
    open: (count, events) =>
      openSubscribers(
        count,
        events,
        () => {
          const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
          socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${accessToken}` } })));
          return socket;
        },
        (socket, message) => {
          if (message.type === 'connection_ack') {
            socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
            return true;
          }
          if (message.type === 'ping') socket.send('{"type":"pong"}');
          return false;
        },
      ),
    async cause(index) {
      await request(server.origin, accessToken, 'mutation Rename($id: ID!, $name: String!) { updateApiKey(id: $id, input: { name: $name }) { id } }', {
        id: createApiKey.apiKey.id,
        name: `fan-${index}`,
      });
    },
  };
}

/**
 * Opens `count` sockets, OPEN_WIDTH at a time, each batch ready before the next; `ready` sees
 * every message that is not an event and says whether the socket is ready. Events are matched
 * to their index by the `fan-<index>` name they carry.
 */
async function openSubscribers(
  count: number,
  events: number,
  connect: () => WebSocket,
  ready: (socket: WebSocket, message: any) => boolean,
): Promise<Subscribers> {
  const sockets: WebSocket[] = [];
  const receivedAt: Float64Array[] = [];
  let closing = false;
  const close = () => {
    closing = true;
    for (const socket of sockets) socket.terminate();
  };
  try {
    while (sockets.length < count) {
      const batch = Array.from({ length: Math.min(OPEN_WIDTH, count - sockets.length) }, () => {
        const socket = connect();
        const times = new Float64Array(events).fill(Number.NaN);
        sockets.push(socket);
        receivedAt.push(times);
        return new Promise<void>((resolve, reject) => {
          socket.on('message', (data) => {
            const at = performance.now();
            const message = JSON.parse(String(data));
            const name = message.payload?.data?.auditEventCreated?.data?.name;
            if (typeof name === 'string') {
              const index = Number(name.slice('fan-'.length));
              if (index < events && Number.isNaN(times[index]!)) times[index] = at;
            } else if (message.type === 'next' || message.type === 'error') {
              reject(new Error(`subscription failed: ${JSON.stringify(message.payload)}`));
            } else if (ready(socket, message)) {
              resolve();
            }
          });
          socket.once('open', () => {
            if (socket.protocol === '') resolve();
          });
          socket.once('error', reject);
          socket.once('close', (code, reason) => {
            if (!closing) reject(new Error(`socket closed (${code} ${reason.toString()})`));
          });
        });
      });
      await Promise.all(batch);
    }
  } catch (error) {
    close();
    throw error;
  }
  return { receivedAt, close };
}

export function fanOutTable(rows: FanOutRow[]): string {
  return table(
    `Fan-out: one event a second (${EVENTS} measured) to N idle subscribers of one tenant's auditEventCreated, against a bare ws broadcast of the same payload`,
    ['target', 'subscribers', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'server CPU µs/delivery', 'by CPU', 'p99 vs baseline', 'idle KB/subscriber'],
    rows.map((row) => [
      row.target,
      row.subscribers,
      fixed(row.latencyMs.p50),
      fixed(row.latencyMs.p99),
      fixed(row.latencyMs.max),
      row.lost,
      fixed(row.serverCpuMicrosPerDelivery, 1),
      row.vsBaseline ? ratio(row.vsBaseline.byCpu) : '',
      row.vsBaseline ? ratio(row.vsBaseline.p99) : '',
      fixed(row.idleBytesPerSubscriber / 1024, 1),
    ]),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows, skipped } = await fanOut((line) => console.error(line));
  console.log(fanOutTable(rows));
  for (const line of skipped) console.log(line);
}
