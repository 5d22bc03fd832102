/** One reply streamed to many subscribers, and what its receipts say: latency, rate, losses. */
import { setTimeout as delay } from 'node:timers/promises';
import { cpuSeconds, machineCpuSeconds } from './processes.ts';
import type { HeldReply } from './sse-upstream.ts';
import { closeAll, openLive, type Subscriber } from './stream-subscribers.ts';
import type { StreamTarget } from './stream-targets.ts';

export const DONE_TIMEOUT_MS = 120_000;
/**
 * Quiet between the last subscriber going live and the first token: the app sends a follower
 * its first event before it has finished setting the subscription up, and holds live events until then.
 */
const QUIET_BEFORE_TOKENS_MS = 1000;

export type RoundResult = {
  writtenAt: Float64Array;
  receivedAt: Float64Array[];
  seconds: number;
  /** CPU seconds from the first token to the last DONE: the server, this process, the rest of the machine. */
  cpuSeconds: { server: number; bench: number; other: number };
};

/**
 * One reply: `subscribers` follow it until each has seen its first event, then the held agent
 * request gets its tokens from `write` and ends; answers once every subscriber got DONE.
 */
export async function streamRound(
  target: StreamTarget,
  subscribers: number,
  tokens: number,
  write: (reply: HeldReply) => Promise<void>,
): Promise<RoundResult> {
  const { reply, subscribe } = await target.open();
  let followers: Subscriber[] = [];
  try {
    followers = await openLive(subscribers, () => subscribe(tokens));
    await delay(QUIET_BEFORE_TOKENS_MS);
    const before = { server: cpuSeconds(target.server.pid), bench: process.cpuUsage(), machine: machineCpuSeconds().busy, at: performance.now() };
    await write(reply);
    reply.end();
    await within(Promise.all(followers.map((follower) => follower.ended)), DONE_TIMEOUT_MS, 'DONE at every subscriber');
    const seconds = (performance.now() - before.at) / 1000;
    const bench = process.cpuUsage(before.bench);
    const server = cpuSeconds(target.server.pid) - before.server;
    const machine = machineCpuSeconds().busy - before.machine;
    const benchSeconds = (bench.user + bench.system) / 1e6;
    return {
      writtenAt: reply.writtenAt,
      receivedAt: followers.map((follower) => follower.receivedAt),
      seconds,
      cpuSeconds: { server, bench: benchSeconds, other: Math.max(0, machine - server - benchSeconds) },
    };
  } finally {
    reply.end();
    closeAll(followers);
  }
}

export type Latency = { p50: number; p99: number; max: number; lost: number };

/** Receipt minus write of every token at every subscriber, in ms; tokens never received count as lost. */
export function latencies({ writtenAt, receivedAt }: RoundResult): Latency {
  const values: number[] = [];
  for (const received of receivedAt) {
    received.forEach((at, index) => {
      if (!Number.isNaN(at)) values.push(at - writtenAt[index]!);
    });
  }
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN, lost: lost(receivedAt) };
}

/** Tokens per second that reached every subscriber: from the first receipt anywhere to the last. */
export function tokensPerSecond({ receivedAt }: RoundResult): number {
  let first = Infinity;
  let last = -Infinity;
  for (const received of receivedAt) {
    for (const at of received) {
      if (at < first) first = at;
      if (at > last) last = at;
    }
  }
  return ((receivedAt[0]?.length ?? 0) - 1) / ((last - first) / 1000);
}

/** Tokens some subscriber never received. */
export function lost(receivedAt: readonly Float64Array[]): number {
  return receivedAt.reduce((count, received) => count + received.filter(Number.isNaN).length, 0);
}

export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
