/** Memory of a server child once garbage is collected, by asking the child itself to collect. */
import { setTimeout as delay } from 'node:timers/promises';
import { processAgeMs, residentBytes, type ServerChild } from './processes.ts';

// Preloaded before the server's own code: on SIGUSR2 it runs a full GC and reports its JS memory.
const HOOK =
  "let n=0;process.on('SIGUSR2',()=>{globalThis.gc();globalThis.gc();const m=process.memoryUsage();" +
  "process.stderr.write('bench-heap '+(++n)+' '+(m.heapUsed+m.external)+'\\n')})";

/**
 * Node flags for a child whose memory `settledMemory` reads. V8's memory reducer is off: it
 * hands pages back tens of MB at a time at moments of its choosing (in the idle app, 25 s after
 * start), more than 500 subscribers cost; it only ever runs when the process is idle.
 */
export const GC_NODE_ARGS = ['--expose-gc', '--no-memory-reducer', '--import', `data:text/javascript,${encodeURIComponent(HOOK)}`];

const collections = new Map<number, number>();
/** A process younger than this may still be handing back memory from its start-up (the app does at ~8 s). */
const MIN_AGE_MS = 20_000;
/** Five readings in a row this close count as settled: after a GC, pages go back in steps. */
const STABLE_READINGS = 5;
const STABLE_BYTES = 512 * 1024;
const MAX_READINGS = 20;

/**
 * VmRSS and JS heap in use plus external memory (buffers), in bytes, of a child started with
 * GC_NODE_ARGS and at least MIN_AGE_MS old: a full GC every `intervalMs` until RSS stops moving.
 */
export async function settledMemory(server: ServerChild, intervalMs = 1000): Promise<{ rssBytes: number; heapBytes: number }> {
  await delay(Math.max(0, MIN_AGE_MS - processAgeMs(server.pid)));
  const readings: number[] = [];
  for (;;) {
    await delay(intervalMs);
    const memory = await afterGc(server);
    readings.push(memory.rssBytes);
    const last = readings.slice(-STABLE_READINGS);
    if ((last.length === STABLE_READINGS && Math.max(...last) - Math.min(...last) < STABLE_BYTES) || readings.length === MAX_READINGS) return memory;
  }
}

async function afterGc(server: ServerChild) {
  const count = (collections.get(server.pid) ?? 0) + 1;
  collections.set(server.pid, count);
  process.kill(server.pid, 'SIGUSR2');
  const reported = new RegExp(`bench-heap ${count} (\\d+)`);
  const deadline = Date.now() + 10_000;
  let heap: RegExpExecArray | null;
  while (!(heap = reported.exec(server.output()))) {
    if (Date.now() > deadline) throw new Error(`${server.pid} did not report its memory after SIGUSR2:\n${server.output()}`);
    await delay(20);
  }
  // Let the allocator hand freed pages back before reading RSS.
  await delay(500);
  return { rssBytes: residentBytes(server.pid), heapBytes: Number(heap[1]) };
}
