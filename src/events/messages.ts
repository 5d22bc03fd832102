import type { EventType } from './catalogue.ts';

/** A dispatched event as subscribers receive it, and as webhook bodies carry it (`id` aside). */
export type DomainEventMessage = {
  id: string;
  type: EventType;
  /** ISO 8601, when the change was committed. */
  timestamp: string;
  data: Record<string, unknown>;
};

/** The body of a webhook request, per the API contract. */
export function webhookBody(event: Pick<DomainEventMessage, 'type' | 'timestamp' | 'data'>) {
  return { type: event.type, timestamp: event.timestamp, data: event.data };
}
