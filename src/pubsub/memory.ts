import { createPubSub } from 'graphql-yoga';
import { topicOf, type PubSub } from './pubsub.ts';

/** In-process pub/sub for the embedded default: one instance, no network. */
export function createMemoryPubSub(): PubSub {
  const inner = createPubSub<Record<string, [unknown]>>();
  const listeners = new Map<string, Set<(payload: never) => void>>();
  return {
    async publish(event, tenantId, payload, key) {
      const topic = topicOf(event, tenantId, key);
      // A copy, so that no subscriber shares an object with the publisher, as over Redis.
      const copy = structuredClone(payload);
      inner.publish(topic, copy);
      for (const handler of listeners.get(topic) ?? []) handler(copy as never);
    },
    subscribe(event, tenantId, key) {
      return inner.subscribe(topicOf(event, tenantId, key)) as AsyncIterable<never>;
    },
    async listen(event, tenantId, key, handler) {
      const topic = topicOf(event, tenantId, key);
      const handlers = listeners.get(topic) ?? new Set();
      listeners.set(topic, handlers.add(handler));
      return async () => {
        handlers.delete(handler);
        if (handlers.size === 0) listeners.delete(topic);
      };
    },
    isConnected: () => true,
    onConnectionChange: () => () => {},
    async close() {
      listeners.clear();
    },
  };
}
