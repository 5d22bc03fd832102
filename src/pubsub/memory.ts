import { createPubSub } from 'graphql-yoga';
import { topicOf, type PubSub } from './pubsub.ts';

/** In-process pub/sub for the embedded default: one instance, no network. */
export function createMemoryPubSub(): PubSub {
  const inner = createPubSub<Record<string, [unknown]>>();
  return {
    async publish(event, tenantId, payload) {
      inner.publish(topicOf(event, tenantId), structuredClone(payload));
    },
    subscribe(event, tenantId) {
      return inner.subscribe(topicOf(event, tenantId)) as AsyncIterable<never>;
    },
    async close() {},
  };
}
