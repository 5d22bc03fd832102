import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { PubSub } from '../pubsub/pubsub.ts';
import { publishInOrder, type OutboxRow } from './publication.ts';

/** Held for the length of a transaction, so that one instance at a time publishes the backlog. */
const BACKLOG_LOCK = 72707370;

/** What one batch came to: nothing left, more to publish, or stopped (pub/sub failed, or another instance is at it). */
export type BacklogProgress = 'empty' | 'more' | 'stopped';

/**
 * Events that were dispatched (their webhook deliveries scheduled) while pub/sub could not take
 * them, e.g. during a Redis outage. They are published in id order, by one instance at a time,
 * each marked once published; until none is left, the dispatcher adds newer events to them
 * rather than publish those first.
 */
export class PublicationBacklog {
  constructor(
    private readonly deps: { prisma: PrismaClient; pubsub: PubSub; logger: Logger; batchSize: number },
  ) {}

  async publishNext(): Promise<BacklogProgress> {
    const { prisma, pubsub, logger, batchSize } = this.deps;
    return prisma.$transaction(async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${BACKLOG_LOCK}::bigint) AS locked`;
      if (!lock?.locked) return 'stopped';
      const events = await tx.$queryRaw<OutboxRow[]>`
        SELECT id, tenant_id AS "tenantId", type, data, created_at AS "createdAt"
          FROM outbox_events
         WHERE published_at IS NULL AND dispatched_at IS NOT NULL
         ORDER BY id
         LIMIT ${batchSize}`;
      const { published, failure } = await publishInOrder(pubsub, events);
      if (published > 0) {
        const ids = events.slice(0, published).map((event) => event.id);
        await tx.outboxEvent.updateMany({ where: { id: { in: ids } }, data: { publishedAt: new Date() } });
        logger.info({ published }, 'published events that waited for pub/sub');
      }
      if (failure) {
        logger.warn({ err: failure, waiting: events.length - published }, 'pub/sub is unavailable: events wait to be published');
        return 'stopped';
      }
      return events.length === batchSize ? 'more' : 'empty';
    });
  }
}
