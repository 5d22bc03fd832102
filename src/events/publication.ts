import type { PubSub } from '../pubsub/pubsub.ts';
import type { DomainEventMessage } from './messages.ts';

/** An outbox row as the dispatcher and the publication backlog read it. */
export type OutboxRow = { id: string; tenantId: string; type: string; data: Record<string, unknown>; createdAt: Date };

export function messageOf(event: OutboxRow): DomainEventMessage {
  return { id: event.id, type: event.type, timestamp: new Date(event.createdAt).toISOString(), data: event.data };
}

/**
 * Publishes `events` one after another and stops at the first failure, so that what was
 * published is always a prefix of them: the rest is published later, still in order.
 */
export async function publishInOrder(pubsub: PubSub, events: OutboxRow[]): Promise<{ published: number; failure?: unknown }> {
  for (const [index, event] of events.entries()) {
    try {
      await pubsub.publish('domainEvent', event.tenantId, messageOf(event), event.type);
    } catch (failure) {
      return { published: index, failure };
    }
  }
  return { published: events.length };
}
