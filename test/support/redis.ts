/** A throwaway Redis server for tests, without persistence. */
import { Redis } from 'ioredis';
import { halt, launch, startOnFreePort, waitUntilReady } from './child-process.ts';
import { removeTempDir, removingOnFailure, tempDir } from './temp-dirs.ts';

export type RedisServer = {
  url: string;
  port: number;
  dir: string;
  /** Stops the server, for an outage; `resume` starts it again on the same port. */
  interrupt(): Promise<void>;
  resume(): Promise<void>;
  stop(): Promise<void>;
};

export async function startRedis(): Promise<RedisServer> {
  const dir = await tempDir('redis');
  const serve = (port: number) =>
    launch(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { cwd: dir, deathSignal: 'SIGKILL' },
    );
  const started = await removingOnFailure(dir, () => startOnFreePort('redis-server', serve, ping));
  let service = started.service;
  const { port } = started;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    interrupt: () => halt(service, 'SIGKILL'),
    resume: async () => {
      service = serve(port);
      await waitUntilReady('redis-server', service, () => ping(port));
    },
    stop: async () => {
      await halt(service, 'SIGTERM');
      await removeTempDir(dir);
    },
  };
}

async function ping(port: number): Promise<void> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  client.on('error', () => {}); // refused while the server starts; connect() rejects as well
  try {
    await client.connect();
    await client.ping();
  } finally {
    // disconnect() on a connection that never opened leaves a 2 s timer holding the process open.
    if (client.status !== 'end') client.disconnect();
  }
}
