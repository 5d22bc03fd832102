import type { PubSub } from '../pubsub/pubsub.ts';
import type { DomainEventMessage } from './messages.ts';

/** An outbox row as the dispatcher and the publication backlog read it. */
export type OutboxRow = { id: string; tenantId: string; type: string; data: Record<string, unknown>; createdAt: Date };

export function messageOf(event: OutboxRow): DomainEventMessage {
  return { id: event.id, type: event.type, timestamp: new Date(event.createdAt).toISOString(), data: event.data };
}

/**
 * Publishes `events` in their order, all issued at once: pub/sub keeps the order in which
 * publishes are issued (one Redis connection, commands answered in turn), and a batch then costs
 * about one round trip instead of one per event. What counts as published is the prefix before
 * the first failure: the rest is published later, still in order. An event after a failed one
 * that went through all the same is published again then, as one whose answer was lost would be.
 */
export async function publishInOrder(pubsub: PubSub, events: OutboxRow[]): Promise<{ published: number; failure?: unknown }> {
  const outcomes = await Promise.allSettled(events.map((event) => pubsub.publish('domainEvent', event.tenantId, messageOf(event), event.type)));
  const firstFailure = outcomes.findIndex((outcome) => outcome.status === 'rejected');
  if (firstFailure === -1) return { published: events.length };
  return { published: firstFailure, failure: (outcomes[firstFailure] as PromiseRejectedResult).reason };
}
