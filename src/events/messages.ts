/**
 * A dispatched event as subscribers receive it, and as webhook bodies carry it (`id` aside).
 * Typed by `Type` and its payload where a module subscribes to one event type.
 */
export type DomainEventMessage<Type extends string = string, Data extends object = Record<string, unknown>> = {
  id: string;
  type: Type;
  /** ISO 8601, when the change was committed. */
  timestamp: string;
  data: Data;
};

/**
 * The body of a webhook request, per the API contract, with the tenant it is about: one receiver
 * may serve several teams.
 */
export function webhookBody(tenantId: string, event: Pick<DomainEventMessage, 'type' | 'timestamp' | 'data'>) {
  return { type: event.type, timestamp: event.timestamp, tenantId, data: event.data };
}
