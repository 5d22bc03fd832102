import type { WebhookDelivery } from '../../generated/prisma/client.ts';

/**
 * A delivery as `webhook.deliveries_updated` carries it: JSON only, dates as ISO strings, and
 * without the body sent, which never changes and would make the event as large as every body in
 * its batch; a subscriber asking for `payload` has it loaded.
 */
export type DeliveryMessage = Omit<WebhookDelivery, 'payload' | 'leaseUntil' | 'nextAttemptAt' | 'lastAttemptAt' | 'createdAt' | 'updatedAt'> & {
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A delivery as subscribers receive it, without its body or the lease of the instance sending it. */
export type DeliveryUpdate = Omit<WebhookDelivery, 'payload' | 'leaseUntil'>;

export function toMessage(delivery: DeliveryUpdate): DeliveryMessage {
  return {
    ...delivery,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    lastAttemptAt: delivery.lastAttemptAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

export function fromMessage(message: DeliveryMessage): DeliveryUpdate {
  return {
    ...message,
    nextAttemptAt: message.nextAttemptAt === null ? null : new Date(message.nextAttemptAt),
    lastAttemptAt: message.lastAttemptAt === null ? null : new Date(message.lastAttemptAt),
    createdAt: new Date(message.createdAt),
    updatedAt: new Date(message.updatedAt),
  };
}
