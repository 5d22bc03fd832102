import type { DomainEventMessage } from '../events/messages.ts';

/**
 * Every topic and the JSON payload it carries. Payloads cross Redis as JSON,
 * so they hold only JSON values (dates as ISO strings), on every backend alike.
 */
export type PubSubEvents = {
  /** Every dispatched outbox event, keyed by its type. */
  domainEvent: DomainEventMessage;
  /** A credential stopped working: open WebSocket connections that used it must close. */
  credentialRevoked: { apiKeyId?: string; sessionId?: string };
};

export type PubSubEvent = keyof PubSubEvents;

/** Topics always carry the tenant, so a subscriber can only ever hear its own tenant. */
export interface PubSub {
  /** `key` narrows a topic further, e.g. to one event type. */
  publish<E extends PubSubEvent>(event: E, tenantId: string, payload: PubSubEvents[E], key?: string): Promise<void>;
  subscribe<E extends PubSubEvent>(event: E, tenantId: string, key?: string): AsyncIterable<PubSubEvents[E]>;
  close(): Promise<void>;
}

export function topicOf(event: PubSubEvent, tenantId: string, key?: string): string {
  return key ? `${event}:${tenantId}:${key}` : `${event}:${tenantId}`;
}
