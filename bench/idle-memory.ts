/** Resident memory (VmRSS) of the idle app, started on the embedded default, and of the baseline. */
import { setTimeout as delay } from 'node:timers/promises';
import { residentBytes, withServer, type ServerChild } from './support/processes.ts';
import { embeddedEnv, startApp, startBaseline } from './support/targets.ts';

const SETTLE_MS = 2000;

export type IdleMemoryRow = { target: string; rssBytes: number; ratio: number };

export async function idleMemory(log: (line: string) => void): Promise<IdleMemoryRow[]> {
  log('idle RSS: baseline');
  const baseline = await withServer(() => startBaseline(), settledRss);
  log('idle RSS: app (embedded)');
  const { env, release } = await embeddedEnv();
  let fresh: number;
  let existing: number;
  try {
    // The first start creates the database and applies migrations; later starts find it done.
    fresh = await withServer(() => startApp(env), settledRss);
    existing = await withServer(() => startApp(env), settledRss);
  } finally {
    await release();
  }
  return [
    { target: 'baseline: yoga hello', rssBytes: baseline, ratio: 1 },
    { target: 'app embedded: fresh DATA_DIR', rssBytes: fresh, ratio: fresh / baseline },
    { target: 'app embedded: existing DATA_DIR', rssBytes: existing, ratio: existing / baseline },
  ];
}

/** RSS once the server has been ready and untouched for a moment. */
async function settledRss(server: ServerChild): Promise<number> {
  await delay(SETTLE_MS);
  if (server.child.exitCode !== null || server.child.signalCode !== null) {
    throw new Error(`server exited while idle (${server.child.exitCode ?? server.child.signalCode}):\n${server.output()}`);
  }
  return residentBytes(server.pid);
}
