/** HTTP load with autocannon's programmatic API: a warm-up, then a measured run. */
import autocannon from 'autocannon';
import { cpus } from 'node:os';
import { cpuSeconds, machineCpuSeconds } from './processes.ts';

export const CONNECTIONS = 50;
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
export const MEASURE_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export type LoadTarget = {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** True when a response body is the expected answer; others count as mismatches. */
  verify(body: string | Buffer | undefined): boolean;
};

export type LoadResult = {
  requestsPerSecond: number;
  totalRequests: number;
  durationSeconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  /** CPU during the measured run, in cores (1 = one core busy all the time). */
  cpu: { server: number; loadGenerator: number; machine: number; steal: number; machineCores: number };
  /** Server CPU time per completed request, in microseconds: robust to a noisy machine. */
  serverCpuMicrosPerRequest: number;
};

/**
 * A few seconds of warm-up (discarded) then the measured run, both at 50 keep-alive connections,
 * recording the CPU used by the server process `serverPid`, by this process and by the machine.
 */
export async function measure(target: LoadTarget, serverPid: number): Promise<LoadResult> {
  await run(target, WARMUP_SECONDS);
  const before = { server: cpuSeconds(serverPid), self: process.cpuUsage(), machine: machineCpuSeconds(), at: performance.now() };
  const result = await run(target, MEASURE_SECONDS);
  const seconds = (performance.now() - before.at) / 1000;
  const serverCpu = cpuSeconds(serverPid) - before.server;
  const self = process.cpuUsage(before.self);
  const machine = machineCpuSeconds();
  return {
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    durationSeconds: result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
    cpu: {
      server: serverCpu / seconds,
      loadGenerator: (self.user + self.system) / 1e6 / seconds,
      machine: (machine.busy - before.machine.busy) / seconds,
      steal: (machine.steal - before.machine.steal) / seconds,
      machineCores: cpus().length,
    },
    serverCpuMicrosPerRequest: (serverCpu * 1e6) / result.requests.total,
  };
}

function run(target: LoadTarget, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...target.headers },
    body: target.body,
    connections: CONNECTIONS,
    pipelining: 1,
    duration: seconds,
    verifyBody: target.verify,
  });
}

/** A verifier that parses the body and applies `check` to it. */
export function jsonBody(check: (body: { data?: any; errors?: unknown }) => boolean) {
  return (body: string | Buffer | undefined) => {
    try {
      const parsed = JSON.parse(String(body));
      return !parsed.errors && check(parsed);
    } catch {
      return false;
    }
  };
}

/** Problems that make a load result invalid: every request must have succeeded. */
export function failures(result: LoadResult): string[] {
  const counts = { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, mismatches: result.mismatches };
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name}=${count}`);
}
