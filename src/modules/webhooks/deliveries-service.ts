import { map, pipe, Repeater } from 'graphql-yoga';
import type { Projection } from '../../db/projection.ts';
import { uuid7 } from '../../db/uuid7.ts';
import { webhookBody } from '../../events/messages.ts';
import { domainEvents } from '../events.ts';
import { conflict, notFound } from '../../errors.ts';
import type { DeliveryStatus, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { fromMessage, type DeliveryUpdate } from './delivery-messages.ts';
import type { WebhookEndpointsService } from './endpoints-service.ts';

type DeliveryProjection = Projection<Prisma.WebhookDeliveryInclude, Prisma.WebhookDeliverySelect>;
/** A Prisma projection and page (take/skip/cursor), as Pothos computes them for a connection. */
type DeliveryPage = Omit<Prisma.WebhookDeliveryFindManyArgs, 'where' | 'orderBy'>;

export type DeliveryFilter = { endpointId?: string | null; status?: DeliveryStatus | null; eventType?: string | null };

/** The delivery history of a tenant's webhook endpoints, and sending again by hand. */
export class WebhookDeliveriesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly endpoints: WebhookEndpointsService,
    /** Tells this instance's delivery worker that a delivery is due now. */
    private readonly wakeWorker: () => void,
  ) {}

  /** Newest first; an endpoint of another tenant answers NOT_FOUND. */
  async list(tenantId: string, { endpointId, status, eventType }: DeliveryFilter, page: DeliveryPage) {
    if (endpointId) await this.endpoints.get(tenantId, endpointId);
    return this.prisma.webhookDelivery.findMany({
      ...page,
      where: { tenantId, ...(endpointId ? { endpointId } : {}), ...(status ? { status } : {}), ...(eventType ? { eventType } : {}) },
      orderBy: { id: 'desc' },
    });
  }

  async get(tenantId: string, id: string, projection: DeliveryProjection = {}) {
    const delivery = await this.prisma.webhookDelivery.findFirst({ ...projection, where: { id, tenantId } });
    if (!delivery) throw notFound('Webhook delivery');
    return delivery;
  }

  /**
   * Makes a failed or pending delivery due now; its attempts go on counting from where they were.
   * One being attempted right now keeps that attempt, which is not doubled, and its outcome then
   * decides what follows.
   */
  async retry(tenantId: string, id: string, projection: DeliveryProjection = {}) {
    const delivery = await this.prisma.webhookDelivery.findFirst({ where: { id, tenantId }, include: { endpoint: true } });
    if (!delivery) throw notFound('Webhook delivery');
    if (delivery.status === 'SENT') throw conflict('deliveryId', 'This delivery was sent; use replayWebhookDeliveries to send it again');
    assertActive(delivery.endpoint, 'deliveryId');
    const { count } = await this.prisma.webhookDelivery.updateMany({
      where: { id, status: { in: ['PENDING', 'FAILED'] } },
      data: { status: 'PENDING', nextAttemptAt: new Date() },
    });
    if (count === 0) throw conflict('deliveryId', 'This delivery was sent in the meantime');
    this.wakeWorker();
    return this.get(tenantId, id, projection);
  }

  /** Queues every delivery to the endpoint created since `since` again, with the same webhook-id; answers how many. */
  async replay(tenantId: string, endpointId: string, since: Date): Promise<number> {
    assertActive(await this.endpoints.get(tenantId, endpointId), 'endpointId');
    const { count } = await this.prisma.webhookDelivery.updateMany({
      where: { tenantId, endpointId, createdAt: { gte: since } },
      data: { status: 'PENDING', nextAttemptAt: new Date() },
    });
    if (count > 0) this.wakeWorker();
    return count;
  }

  /** Delivers a `webhook.test` event to this one endpoint, now. */
  async sendTest(tenantId: string, endpointId: string, projection: DeliveryProjection = {}) {
    assertActive(await this.endpoints.get(tenantId, endpointId), 'endpointId');
    const payload = webhookBody(tenantId, {
      type: 'webhook.test',
      timestamp: new Date().toISOString(),
      data: { endpointId, message: 'A test event, sent with sendTestWebhook.' },
    });
    const delivery = await this.prisma.webhookDelivery.create({
      ...projection,
      data: { tenantId, endpointId, eventId: uuid7(), eventType: payload.type, payload: payload as Prisma.InputJsonObject },
    });
    this.wakeWorker();
    return delivery;
  }

  /** Deliveries as they are attempted, optionally of one endpoint only. */
  async updates(tenantId: string, endpointId: string | null): Promise<AsyncIterable<DeliveryUpdate>> {
    if (endpointId) await this.endpoints.get(tenantId, endpointId);
    return pipe(
      domainEvents(this.pubsub, tenantId, 'webhook.deliveries_updated'),
      map(({ data }) => data.deliveries.filter((delivery) => !endpointId || delivery.endpointId === endpointId)),
      flatten,
      map(fromMessage),
    );
  }
}

/** Every item of every array the source yields, in order; ending it ends the source, as yoga's `map` does. */
function flatten<T>(source: AsyncIterable<T[]>): AsyncIterable<T> {
  return new Repeater<T>(async (push, stop) => {
    const iterator = source[Symbol.asyncIterator]();
    void stop.then(() => iterator.return?.());
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      for (const item of next.value) await push(item);
    }
    stop();
  });
}

function assertActive(endpoint: { isActive: boolean }, field: string) {
  if (!endpoint.isActive) throw conflict(field, 'The endpoint is disabled; enable it first');
}
