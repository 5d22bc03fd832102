import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Redis } from 'ioredis';
import { topicOf, type PubSub } from './pubsub.ts';
import { followConnectivity } from './redis-connectivity.ts';

/**
 * Pub/sub shared by every instance through Redis. Subscribing puts a connection in
 * subscriber mode, so publishing needs a connection of its own.
 */
export function createRedisPubSub(connections: { publisher: Redis; subscriber: Redis }): PubSub {
  handleFailedUnsubscribes(connections.subscriber);
  const inner = new OutageSafeRedisPubSub(connections);
  const connectivity = followConnectivity(connections, () => inner.channels());
  return {
    async publish(event, tenantId, payload, key) {
      await inner.publish(topicOf(event, tenantId, key), payload);
    },
    subscribe(event, tenantId, key) {
      return endingQuietly(inner.asyncIterableIterator(topicOf(event, tenantId, key))) as AsyncIterable<never>;
    },
    async listen(event, tenantId, key, handler) {
      // Resolves after Redis acknowledged the SUBSCRIBE (or at once when the channel already had one).
      const id = await inner.subscribe(topicOf(event, tenantId, key), handler as (payload: unknown) => void);
      return async () => inner.unsubscribe(id);
    },
    isConnected: () => connectivity.isConnected(),
    onConnectionChange: (listener) => connectivity.onChange(listener),
    async close() {
      connectivity.stop();
      await inner.close();
    },
  };
}

/**
 * While a SUBSCRIBE is in flight, RedisPubSub keeps a promise of it for the callers that subscribe
 * to the same channel meanwhile, and leaves it unhandled when none did. While Redis is down it
 * rejects, and an unhandled rejection would end the process; the caller still gets the failure.
 */
class OutageSafeRedisPubSub extends RedisPubSub {
  /** The channels this instance's subscribers need. */
  channels(): string[] {
    return [...(this as unknown as { subsRefsMap: Map<string, unknown> }).subsRefsMap.keys()];
  }

  override subscribe<T>(trigger: string, onMessage: (message: T) => void, options?: unknown): Promise<number> {
    const subscribed = super.subscribe(trigger, onMessage, options);
    const inFlight = (this as unknown as { subsPendingRefsMap: Map<string, { pending: Promise<unknown> }> }).subsPendingRefsMap;
    inFlight.get(trigger)?.pending.catch(() => {});
    return subscribed;
  }
}

/**
 * Ending a subscription whose SUBSCRIBE failed (Redis was down) rejects in RedisPubSub's iterator,
 * and operators such as yoga's `map` end their source without awaiting it: an unhandled rejection
 * would end the process. Ending it always succeeds here; there is nothing left to undo.
 */
function endingQuietly<T>(iterator: AsyncIterableIterator<T>): AsyncIterableIterator<T> {
  const ended: IteratorResult<T> = { value: undefined, done: true };
  return {
    next: () => iterator.next(),
    return: async () => (await iterator.return?.().catch(() => ended)) ?? ended,
    throw: (error?: unknown) => iterator.throw?.(error) ?? Promise.reject(error),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * RedisPubSub drops the promises of the UNSUBSCRIBEs it sends. While Redis is down they reject,
 * and an unhandled rejection would end the process. The channel then stays subscribed on this
 * connection until it reconnects (pub/sub subscribes again only the channels still wanted), and
 * RedisPubSub ignores its messages meanwhile.
 */
function handleFailedUnsubscribes(subscriber: Redis) {
  for (const command of ['unsubscribe', 'punsubscribe'] as const) {
    const send = subscriber[command].bind(subscriber) as (...channels: string[]) => Promise<unknown>;
    const sendHandled = (...channels: string[]) => {
      const sent = send(...channels);
      sent.catch(() => {});
      return sent;
    };
    Object.assign(subscriber, { [command]: sendHandled });
  }
}
