/** Server processes for tests: started without a shell, never outliving the test process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 5;

export type Service = {
  child: ChildProcess;
  /** Sent by the kernel to the service if this Node process dies. */
  deathSignal: NodeJS.Signals;
  exited: Promise<void>;
  hasExited(): boolean;
  output(): string;
};

export type LaunchOptions = {
  cwd: string;
  deathSignal: NodeJS.Signals;
  /** Postgres refuses to run as root, so when we are root it runs as the `postgres` user. */
  asPostgresUser?: boolean;
};

const running = new Set<Service>();

// A test file that crashes must not leave servers behind. This covers normal and thrown exits;
// setpriv's --pdeathsig covers Node dying without running exit handlers (SIGKILL, SIGTERM, Ctrl-C).
process.on('exit', () => {
  for (const service of running) service.child.kill(service.deathSignal);
});

export function launch(command: string, args: string[], options: LaunchOptions): Service {
  const privileges =
    options.asPostgresUser && isRoot() ? ['--reuid=postgres', '--regid=postgres', '--clear-groups'] : [];
  const child = spawn('setpriv', [...privileges, `--pdeathsig=${options.deathSignal}`, command, ...args], {
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer | string) => {
    output = (output + chunk.toString()).slice(-16_384);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const service: Service = {
    child,
    deathSignal: options.deathSignal,
    exited: new Promise<void>((resolve) => {
      const done = () => {
        exited = true;
        running.delete(service);
        resolve();
      };
      child.once('exit', done);
      child.once('error', (error) => {
        collect(String(error));
        done();
      });
    }),
    hasExited: () => exited,
    output: () => output,
  };
  running.add(service);
  return service;
}

/** Runs a command to completion; rejects with its output unless it exits with 0. */
export async function run(command: string, args: string[], options: LaunchOptions): Promise<void> {
  const service = launch(command, args, options);
  await service.exited;
  if (service.child.exitCode !== 0) {
    throw new Error(`${command} failed (exit ${service.child.exitCode}):\n${service.output()}`);
  }
}

/** Sends `signal`, escalating to SIGKILL if the service has not exited in time. */
export async function halt(service: Service, signal: NodeJS.Signals): Promise<void> {
  if (service.hasExited()) return;
  service.child.kill(signal);
  const timedOut = await Promise.race([
    service.exited.then(() => false),
    delay(STOP_TIMEOUT_MS, true, { ref: false }),
  ]);
  if (timedOut) {
    service.child.kill('SIGKILL');
    await service.exited;
  }
}

/**
 * Starts a server on a port that was free a moment ago and waits until `probe` succeeds. Another
 * process can take the port in between, so a start that fails with "Address already in use" is
 * retried on a new port.
 */
export async function startOnFreePort(
  name: string,
  start: (port: number) => Service,
  probe: (port: number) => Promise<void>,
): Promise<{ service: Service; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const service = start(port);
    try {
      await waitUntilReady(name, service, () => probe(port));
      return { service, port };
    } catch (error) {
      await halt(service, 'SIGKILL');
      if (!(error instanceof PortInUseError) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

class PortInUseError extends Error {}

/** Polls `probe` until it succeeds; fails early with the service's output if it exits. */
export async function waitUntilReady(name: string, service: Service, probe: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (service.hasExited()) {
      const output = service.output();
      const message = `${name} exited during start-up:\n${output}`;
      throw output.includes('Address already in use') ? new PortInUseError(message) : new Error(message);
    }
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`${name} not ready after ${START_TIMEOUT_MS} ms: ${String(error)}\n${service.output()}`);
      }
    }
    await delay(50);
  }
}

/** A port nothing listens on now (the OS may hand it out again later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned')),
      );
    });
  });
}
