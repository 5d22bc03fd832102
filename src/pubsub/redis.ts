import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import { topicOf, type PubSub } from './pubsub.ts';

/**
 * Pub/sub shared by every instance through Redis. Subscribing puts a connection in
 * subscriber mode, so publishing needs a connection of its own.
 */
export function createRedisPubSub(connections: { publisher: Redis; subscriber: Redis }): PubSub {
  const inner = new RedisPubSub(connections);
  return {
    async publish(event, tenantId, payload, key) {
      await inner.publish(topicOf(event, tenantId, key), payload);
    },
    subscribe(event, tenantId, key) {
      return inner.asyncIterableIterator(topicOf(event, tenantId, key)) as AsyncIterable<never>;
    },
    async listen(event, tenantId, key, handler) {
      // Resolves after Redis acknowledged the SUBSCRIBE (or at once when the channel already had one).
      const id = await inner.subscribe(topicOf(event, tenantId, key), handler as (payload: unknown) => void);
      return async () => inner.unsubscribe(id);
    },
    async close() {
      await inner.close();
    },
  };
}
