/**
 * Time from spawning the app as `npm start` does (the built JavaScript) to its first 200 from
 * /ready: on a fresh DATA_DIR (copied from the migrated template) and again on the data that
 * start left. Baseline: the bare Yoga server (run through tsx).
 */
import { embeddedEnv, startApp, startBaseline } from './support/targets.ts';

export const STARTUP_RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 5);

export type StartupRow = { target: string; runsMs: number[]; medianMs: number; ratio: number };

export async function startup(log: (line: string) => void): Promise<StartupRow[]> {
  const baseline: number[] = [];
  const fresh: number[] = [];
  const second: number[] = [];
  for (let run = 1; run <= STARTUP_RUNS; run++) {
    log(`startup run ${run}/${STARTUP_RUNS}`);
    baseline.push(await timeStart(() => startBaseline()));
    const { env, release } = await embeddedEnv();
    try {
      fresh.push(await timeStart(() => startApp(env)));
      second.push(await timeStart(() => startApp(env)));
    } finally {
      await release();
    }
  }
  const baselineMedian = median(baseline);
  const row = (target: string, runsMs: number[]) => ({
    target,
    runsMs: runsMs.map(Math.round),
    medianMs: Math.round(median(runsMs)),
    ratio: median(runsMs) / baselineMedian,
  });
  return [
    row('baseline: yoga hello', baseline),
    row('app embedded: fresh DATA_DIR', fresh),
    row('app embedded: existing DATA_DIR', second),
  ];
}

async function timeStart(start: () => ReturnType<typeof startBaseline>): Promise<number> {
  const server = await start();
  await server.stop();
  return server.readyAfterMs;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
