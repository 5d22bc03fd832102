import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { PubSub } from '../pubsub/pubsub.ts';
import { isWebhookEventType, type EventType } from './catalogue.ts';
import { webhookBody, type DomainEventMessage } from './messages.ts';
import { endpointWants } from './routing.ts';
import { Wakeable } from './wakeable.ts';

type OutboxRow = { id: string; tenantId: string; type: EventType; data: Record<string, unknown>; createdAt: Date };

export type DispatcherOptions = {
  prisma: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  /** Called after a batch that scheduled webhook deliveries has committed. */
  onDeliveriesScheduled?: () => void;
  /** How often to look for events other instances (or a crash) left behind. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Dispatched events are kept this long, then deleted. */
  retentionMs?: number;
};

/**
 * Turns outbox rows into pub/sub messages and webhook deliveries. Rows are claimed with
 * `FOR UPDATE SKIP LOCKED`, so instances share the work; the row is marked dispatched in the
 * same transaction that schedules its deliveries, after publishing. A crash before the commit
 * means the batch is dispatched again: subscribers may see an event twice (at-least-once), and
 * deliveries are unique per endpoint and event, so none is scheduled twice.
 */
export class Dispatcher extends Wakeable {
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private lastCleanupAt = 0;

  constructor(private readonly options: DispatcherOptions) {
    super(options.pollIntervalMs ?? 1000, options.logger.child({ component: 'dispatcher' }));
    this.batchSize = options.batchSize ?? 200;
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
  }

  /** Dispatches one batch; true when there may be more waiting. */
  protected async work(): Promise<boolean> {
    const { dispatched, scheduled } = await this.dispatchBatch();
    if (scheduled > 0) this.options.onDeliveriesScheduled?.();
    await this.cleanUpNowAndThen();
    return dispatched === this.batchSize;
  }

  private dispatchBatch() {
    const { prisma, pubsub } = this.options;
    return prisma.$transaction(async (tx) => {
      const events = await tx.$queryRaw<OutboxRow[]>`
        SELECT id, tenant_id AS "tenantId", type, data, created_at AS "createdAt"
          FROM outbox_events
         WHERE dispatched_at IS NULL
         ORDER BY id
         LIMIT ${this.batchSize}
           FOR UPDATE SKIP LOCKED`;
      if (events.length === 0) return { dispatched: 0, scheduled: 0 };

      const forWebhooks = events.filter((event) => isWebhookEventType(event.type));
      const endpoints = forWebhooks.length
        ? await tx.webhookEndpoint.findMany({
            where: { isActive: true, tenantId: { in: [...new Set(forWebhooks.map((event) => event.tenantId))] } },
            select: { id: true, tenantId: true, events: true, sessionId: true },
          })
        : [];
      const deliveries = forWebhooks.flatMap((event) =>
        endpoints
          .filter((endpoint) => endpoint.tenantId === event.tenantId && endpointWants(endpoint, event))
          .map((endpoint) => ({
            tenantId: event.tenantId,
            endpointId: endpoint.id,
            eventId: event.id,
            eventType: event.type,
            payload: webhookBody(messageOf(event)) as object,
          })),
      );
      const { count: scheduled } = deliveries.length
        ? await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true })
        : { count: 0 };

      for (const event of events) await pubsub.publish('domainEvent', event.tenantId, messageOf(event), event.type);
      await tx.outboxEvent.updateMany({ where: { id: { in: events.map((event) => event.id) } }, data: { dispatchedAt: new Date() } });
      return { dispatched: events.length, scheduled };
    });
  }

  private async cleanUpNowAndThen() {
    if (Date.now() - this.lastCleanupAt < 3_600_000) return;
    this.lastCleanupAt = Date.now();
    await this.options.prisma.outboxEvent.deleteMany({
      where: { dispatchedAt: { lt: new Date(Date.now() - this.retentionMs) } },
    });
  }
}

function messageOf(event: OutboxRow): DomainEventMessage {
  return { id: event.id, type: event.type, timestamp: new Date(event.createdAt).toISOString(), data: event.data };
}
