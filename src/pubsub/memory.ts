import { createPubSub } from 'graphql-yoga';
import { topicOf, type PubSub } from './pubsub.ts';

/** In-process pub/sub for the embedded default: one instance, no network. */
export function createMemoryPubSub(): PubSub {
  const inner = createPubSub<Record<string, [unknown]>>();
  return {
    async publish(event, tenantId, payload, key) {
      inner.publish(topicOf(event, tenantId, key), structuredClone(payload));
    },
    subscribe(event, tenantId, key) {
      return inner.subscribe(topicOf(event, tenantId, key)) as AsyncIterable<never>;
    },
    async close() {},
  };
}
