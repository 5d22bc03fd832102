import type { WebhookDelivery } from '../../generated/prisma/client.ts';

/** A delivery as `webhook.deliveries_updated` carries it: JSON only, dates as ISO strings. */
export type DeliveryMessage = Omit<WebhookDelivery, 'nextAttemptAt' | 'lastAttemptAt' | 'createdAt' | 'updatedAt'> & {
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export function toMessage(delivery: WebhookDelivery): DeliveryMessage {
  return {
    ...delivery,
    nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
    lastAttemptAt: delivery.lastAttemptAt?.toISOString() ?? null,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
  };
}

export function fromMessage(message: DeliveryMessage): WebhookDelivery {
  return {
    ...message,
    nextAttemptAt: message.nextAttemptAt === null ? null : new Date(message.nextAttemptAt),
    lastAttemptAt: message.lastAttemptAt === null ? null : new Date(message.lastAttemptAt),
    createdAt: new Date(message.createdAt),
    updatedAt: new Date(message.updatedAt),
  };
}
