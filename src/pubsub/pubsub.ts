import type { AuditEventMessage } from '../modules/audit/messages.ts';

/**
 * Every topic and the JSON payload it carries. Payloads cross Redis as JSON,
 * so they hold only JSON values (dates as ISO strings), on every backend alike.
 */
export type PubSubEvents = {
  auditEventCreated: AuditEventMessage;
  /** A credential stopped working: open WebSocket connections that used it must close. */
  credentialRevoked: { apiKeyId?: string; sessionId?: string };
};

export type PubSubEvent = keyof PubSubEvents;

/** Topics always carry the tenant, so a subscriber can only ever hear its own tenant. */
export interface PubSub {
  publish<E extends PubSubEvent>(event: E, tenantId: string, payload: PubSubEvents[E]): Promise<void>;
  subscribe<E extends PubSubEvent>(event: E, tenantId: string): AsyncIterable<PubSubEvents[E]>;
  close(): Promise<void>;
}

export function topicOf(event: PubSubEvent, tenantId: string): string {
  return `${event}:${tenantId}`;
}
