import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export type RedisConnections = {
  /** Commands and publishing. */
  commands: Redis;
  /** Subscriber mode only. */
  subscriber: Redis;
  ping(): Promise<void>;
  close(): Promise<void>;
};

/**
 * The longest wait between two attempts to reconnect: every instance is back within about this
 * long of Redis, which pub/sub counts on (pubsub/redis-connectivity.ts). ioredis's own default grows to 2 s.
 */
const MAX_RECONNECT_DELAY_MS = 500;

export async function connectRedis(url: string, logger: Logger): Promise<RedisConnections> {
  const open = (role: string, options: { autoResubscribe?: boolean; enableAutoPipelining?: boolean } = {}) => {
    const client = new Redis(url, {
      ...options,
      lazyConnect: true,
      maxRetriesPerRequest: 3,
      retryStrategy: (attempt) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
      connectionName: `convo-graph:${role}`,
    });
    client.on('error', (error) => logger.error({ err: error, role }, 'redis connection error'));
    return client;
  };
  // Commands issued in one tick (a dispatch batch's publishes) share one write and one round trip.
  const commands = open('commands', { enableAutoPipelining: true });
  // Pub/sub subscribes its channels again itself on reconnecting (pubsub/redis-connectivity.ts).
  const subscriber = open('subscriber', { autoResubscribe: false });
  await Promise.all([commands.connect(), subscriber.connect()]);
  return {
    commands,
    subscriber,
    async ping() {
      await commands.ping();
    },
    async close() {
      await Promise.allSettled([commands.quit(), subscriber.quit()]);
    },
  };
}
