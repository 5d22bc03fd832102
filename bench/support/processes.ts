/**
 * Server child processes for benchmarks: each server runs in its own Node process, so that the
 * load generator in this process never shares an event loop with it. Every child is killed when
 * this process exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, appendFileSync, constants, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const READY_TIMEOUT_MS = 60_000;
/** BENCH_SERVER_LOG=<file> appends every server child's output to that file, to see what a run did. */
const SERVER_LOG = process.env.BENCH_SERVER_LOG;
const STOP_TIMEOUT_MS = 10_000;

export type ServerChild = {
  child: ChildProcess;
  pid: number;
  port: number;
  origin: string;
  /** Milliseconds from spawn() to the first 200 from the ready path. */
  readyAfterMs: number;
  output(): string;
  stop(): Promise<void>;
};

const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) child.kill('SIGKILL');
    process.exit(130);
  });
}

// With setpriv the kernel kills the child if this process dies without running exit handlers.
const useSetpriv = isExecutable('/usr/bin/setpriv');

/**
 * Spawns `node [nodeArgs] <script>` on a free port (passed as PORT) and waits until /ready
 * answers 200; a TypeScript script runs through tsx. The child is killed if it does not get there.
 */
export async function startServer(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<ServerChild> {
  const port = await freePort();
  const args = [...nodeArgs, ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script];
  const childEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env };
  const startedAt = performance.now();
  const child = useSetpriv
    ? spawn('setpriv', ['--pdeathsig=SIGKILL', process.execPath, ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-16_384));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  if (SERVER_LOG) for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => appendFileSync(SERVER_LOG, chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (running.delete(child), resolve())));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitFor200(`${origin}/ready`, () => child.exitCode !== null || child.signalCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${script} did not become ready: ${(error as Error).message}\n${output}`);
  }
  const readyAfterMs = performance.now() - startedAt;
  return { child, pid: child.pid!, port, origin, readyAfterMs, output: () => output, stop };
}

/** Polls `url` every 10 ms until it answers 200. */
async function waitFor200(url: string, hasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('process exited');
    if ((await statusOf(url)) === 200) return;
    await delay(10);
  }
  throw new Error(`no 200 within ${READY_TIMEOUT_MS} ms`);
}

/** The status of a GET on a fresh connection, or 0 when it cannot connect. */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (VmRSS). */
export function residentBytes(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`No ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Runs `use` with a started server and always stops it afterwards. */
export async function withServer<T>(
  start: () => Promise<ServerChild>,
  use: (server: ServerChild) => Promise<T>,
): Promise<T> {
  const server = await start();
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Time since a process started, from /proc/<pid>/stat (starttime) and /proc/uptime, in ms. */
export function processAgeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptimeSeconds = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return (uptimeSeconds - startTicks / CLOCK_TICKS) * 1000;
}

/**
 * CPU time of the whole machine in seconds, from /proc/stat: busy (not idle), and stolen by the
 * hypervisor for other guests (a sign that figures from this run are noisy).
 */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / CLOCK_TICKS, steal: (ticks[7] ?? 0) / CLOCK_TICKS };
}

/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;
