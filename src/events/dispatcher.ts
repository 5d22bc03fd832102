import { setTimeout as delay } from 'node:timers/promises';
import { uuid7 } from '../db/uuid7.ts';
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { PubSub } from '../pubsub/pubsub.ts';
import type { Reaction } from './consumers.ts';
import { webhookBody, type DomainEventMessage } from './messages.ts';
import { PublicationBacklog } from './publication-backlog.ts';
import { messageOf, publishInOrder, type OutboxRow } from './publication.ts';
import { endpointWants } from './routing.ts';
import { Wakeable } from './wakeable.ts';

/** See `DispatcherOptions.serialTransactions`. */
const GATHER_MS = 15;
/**
 * Webhook deliveries one batch schedules at most (an event with more still goes, alone). A batch
 * of a tenant with many endpoints would otherwise take long enough on its own that another
 * tenant's event, committed just after it began, waits hundreds of milliseconds for the next.
 */
const MAX_DELIVERIES_PER_BATCH = 500;

/** A claimed row, and whether events dispatched earlier still wait to be published. */
type ClaimedRow = OutboxRow & { behindBacklog: boolean };

export type DispatcherOptions = {
  prisma: PrismaClient;
  pubsub: PubSub;
  logger: Logger;
  /** Whether webhook endpoints may subscribe to events of this type. */
  isWebhookEvent: (type: string) => boolean;
  /** The internal consumers that react to events of this type (see `reactionsByType`). */
  reactionsTo: (type: string) => Reaction[];
  /** Called after a batch that scheduled webhook deliveries has committed. */
  onDeliveriesScheduled?: () => void;
  /** Called after a batch that enqueued consumer jobs has committed. */
  onJobsEnqueued?: () => void;
  /**
   * Whether the database runs one transaction at a time and serves this process alone, as the
   * embedded one does (its directory is locked to one process). Each transaction holds up every
   * other connection there, so:
   * - a batch due sooner than 15 ms after the previous one waits for the rest of that time, and
   *   busy moments make fewer, larger transactions; an event after a quiet moment never waits;
   * - a batch runs as two statements rather than one transaction that would hold the database
   *   idle while this process routes and publishes. With no other dispatcher to take the rows,
   *   the claim needs no lock to the end, and a crash between the two leaves the rows undispatched,
   *   as a rollback would.
   * On PostgreSQL, where transactions run side by side and instances share the outbox, neither.
   */
  serialTransactions?: boolean;
  /** How often to look for events other instances (or a crash) left behind. */
  pollIntervalMs?: number;
  batchSize?: number;
  /** Dispatched events are kept this long, then deleted. */
  retentionMs?: number;
};

/**
 * Turns outbox rows into webhook deliveries, jobs of the consumers that react to them, and
 * pub/sub messages. Rows are claimed with `FOR UPDATE SKIP LOCKED`, so instances share the work;
 * a row is marked dispatched in the same transaction that schedules its deliveries and jobs, and
 * published in it too when pub/sub takes it. When pub/sub cannot (Redis is down, or this
 * instance's subscriber is not back yet), deliveries and jobs go on and the row joins the publication backlog, published in order once pub/sub works again; newer
 * rows join it too until it is empty. A crash before the commit means the batch is dispatched
 * again: subscribers may see an event twice (at-least-once), and deliveries are unique per
 * endpoint and event, and jobs per consumer and key, so none is scheduled twice.
 */
export class Dispatcher extends Wakeable {
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private readonly backlog: PublicationBacklog;
  /** Checked at start-up, after pub/sub comes back, and whenever a batch met or made a backlog. */
  private backlogMayExist = true;
  private stopFollowingPubSub: (() => void) | undefined;
  private lastCleanupAt = 0;
  private lastBatchAt = 0;
  private readonly gatherMs: number;

  constructor(private readonly options: DispatcherOptions) {
    super(options.pollIntervalMs ?? 1000, options.logger.child({ component: 'dispatcher' }));
    this.batchSize = options.batchSize ?? 200;
    this.gatherMs = options.serialTransactions ? GATHER_MS : 0;
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000;
    this.backlog = new PublicationBacklog({ prisma: options.prisma, pubsub: options.pubsub, logger: this.logger, batchSize: this.batchSize });
  }

  override start(): void {
    this.stopFollowingPubSub ??= this.options.pubsub.onConnectionChange((connected) => {
      if (!connected) return;
      this.backlogMayExist = true;
      this.wake();
    });
    super.start();
  }

  override async stop(): Promise<void> {
    this.stopFollowingPubSub?.();
    this.stopFollowingPubSub = undefined;
    await super.stop();
  }

  /** Publishes some of the backlog and dispatches one batch; true when there may be more waiting. */
  protected async work(): Promise<boolean> {
    const sinceLastBatch = Date.now() - this.lastBatchAt;
    if (sinceLastBatch < this.gatherMs) await delay(this.gatherMs - sinceLastBatch);
    this.lastBatchAt = Date.now();
    const backlogLeft = await this.publishBacklog();
    const { more, scheduled, enqueued, backlogged } = await this.dispatchBatch();
    if (backlogged) this.backlogMayExist = true;
    if (scheduled > 0) this.options.onDeliveriesScheduled?.();
    if (enqueued > 0) this.options.onJobsEnqueued?.();
    await this.cleanUpNowAndThen();
    return more || backlogLeft;
  }

  private async publishBacklog(): Promise<boolean> {
    if (!this.backlogMayExist || !this.options.pubsub.isConnected()) return false;
    const progress = await this.backlog.publishNext();
    this.backlogMayExist = progress !== 'empty';
    return progress === 'more';
  }

  private dispatchBatch() {
    const { prisma, serialTransactions } = this.options;
    return serialTransactions ? this.dispatchWith(prisma) : prisma.$transaction((tx) => this.dispatchWith(tx));
  }

  private async dispatchWith(tx: Prisma.TransactionClient) {
    const { pubsub } = this.options;
    // Tenants take turns (each one's oldest events first, so its order holds): one tenant's
    // burst does not hold up another's first event. The backlog check rides along with the
    // claim: no extra round trip per batch.
    const claimed = await tx.$queryRaw<ClaimedRow[]>`
      WITH RECURSIVE tenants AS (
        (SELECT tenant_id FROM outbox_events WHERE dispatched_at IS NULL ORDER BY tenant_id LIMIT 1)
        UNION ALL
        SELECT (SELECT next.tenant_id FROM outbox_events next
                 WHERE next.dispatched_at IS NULL AND next.tenant_id > tenants.tenant_id
                 ORDER BY next.tenant_id LIMIT 1)
          FROM tenants WHERE tenants.tenant_id IS NOT NULL
      ), turns AS (
        SELECT pending.id, row_number() OVER (PARTITION BY pending.tenant_id ORDER BY pending.id) AS turn
          FROM tenants CROSS JOIN LATERAL (
               SELECT id, tenant_id FROM outbox_events
                WHERE tenant_id = tenants.tenant_id AND dispatched_at IS NULL
                ORDER BY id LIMIT ${this.batchSize}) pending
         WHERE tenants.tenant_id IS NOT NULL
      ), picked AS (
        SELECT id, turn FROM turns ORDER BY turn, id LIMIT ${this.batchSize}
      )
      SELECT locked.id, locked.tenant_id AS "tenantId", locked.type, locked.data, locked.created_at AS "createdAt",
             EXISTS (SELECT 1 FROM outbox_events WHERE published_at IS NULL AND dispatched_at IS NOT NULL) AS "behindBacklog"
        FROM picked CROSS JOIN LATERAL (
             SELECT id, tenant_id, type, data, created_at FROM outbox_events
              WHERE id = picked.id AND dispatched_at IS NULL
                FOR UPDATE SKIP LOCKED) locked
       ORDER BY picked.turn, picked.id`;
    if (claimed.length === 0) return { more: false, scheduled: 0, enqueued: 0, backlogged: false };

    // Claimed rows left out wait for the next batch (locked until the commit, in a transaction), first in their tenants' turns.
    const routed = withinDeliveryCap(await this.route(tx, claimed));
    const events = routed.map(({ event }) => event);
    const deliveries = routed.flatMap(({ event, endpoints }) => {
      const payload = endpoints.length > 0 ? webhookBody(event.tenantId, messageOf(event)) : null;
      return endpoints.map((endpoint) => ({
        id: uuid7(),
        tenantId: event.tenantId,
        endpointId: endpoint.id,
        eventId: event.id,
        eventType: event.type,
        payload,
      }));
    });

    const jobs = await this.jobsFor(tx, events);

    // Publishing ahead of the backlog would reorder events; publishing while this instance's
    // subscriber is away would lose them for its subscribers.
    const publishable = events[0]!.behindBacklog || !pubsub.isConnected() ? [] : events;
    const { published, failure } = await publishInOrder(pubsub, publishable);
    if (failure) this.logger.warn({ err: failure }, 'pub/sub is unavailable: events wait to be published');
    const { scheduled, enqueued } = await scheduleAndMark(tx, { deliveries, jobs }, events.map((event) => event.id), published);
    const more = events.length < claimed.length || claimed.length === this.batchSize;
    return { more, scheduled, enqueued, backlogged: published < events.length };
  }

  /** Each event with the endpoints it goes to: the active endpoints of its tenant that want it. */
  private async route(tx: Prisma.TransactionClient, events: ClaimedRow[]) {
    const forWebhooks = events.filter((event) => this.options.isWebhookEvent(event.type));
    const endpoints = forWebhooks.length
      ? await tx.$queryRaw<RoutedEndpoint[]>`
          SELECT id, tenant_id AS "tenantId", events, session_id AS "sessionId"
            FROM webhook_endpoints
           WHERE is_active AND tenant_id = ANY(${[...new Set(forWebhooks.map((event) => event.tenantId))]}::text[])`
      : [];
    return events.map((event) => ({
      event,
      endpoints: this.options.isWebhookEvent(event.type)
        ? endpoints.filter((endpoint) => endpoint.tenantId === event.tenantId && endpointWants(endpoint, event))
        : [],
    }));
  }

  /** A job per event for each consumer that reacts to it (and wants it, when it selects). */
  private async jobsFor(tx: Prisma.TransactionClient, events: OutboxRow[]) {
    const byReaction = new Map<string, { reaction: Reaction; events: { tenantId: string; message: DomainEventMessage }[] }>();
    for (const event of events) {
      for (const reaction of this.options.reactionsTo(event.type)) {
        const entry = byReaction.get(reaction.name) ?? { reaction, events: [] };
        entry.events.push({ tenantId: event.tenantId, message: messageOf(event) });
        byReaction.set(reaction.name, entry);
      }
    }
    const jobs: { id: string; tenantId: string; consumer: string; key: string; payload: unknown }[] = [];
    for (const { reaction, events: theirs } of byReaction.values()) {
      const wanted = reaction.select && new Set((await reaction.select(tx, theirs.map((event) => event.message))).map((event) => event.id));
      for (const { tenantId, message } of theirs) {
        if (wanted && !wanted.has(message.id)) continue;
        jobs.push({ id: uuid7(), tenantId, consumer: reaction.name, key: reaction.keyOf(message), payload: message });
      }
    }
    return jobs;
  }

  private async cleanUpNowAndThen() {
    if (Date.now() - this.lastCleanupAt < 3_600_000) return;
    this.lastCleanupAt = Date.now();
    await this.options.prisma.outboxEvent.deleteMany({
      where: { dispatchedAt: { lt: new Date(Date.now() - this.retentionMs) } },
    });
  }
}

type RoutedEndpoint = { id: string; tenantId: string; events: string[]; sessionId: string | null };

/** The events, in their order, up to the first that would take the batch past MAX_DELIVERIES_PER_BATCH; always the first. */
function withinDeliveryCap<T extends { endpoints: unknown[] }>(routed: T[]): T[] {
  let total = 0;
  const taken = routed.findIndex((route, index) => (total += route.endpoints.length) > MAX_DELIVERIES_PER_BATCH && index > 0);
  return taken < 0 ? routed : routed.slice(0, taken);
}

/**
 * Schedules the deliveries, enqueues the consumer jobs and marks the batch dispatched, and its
 * first `published` events published, in one statement: on the embedded database every round trip of a transaction holds
 * up all other connections, and Prisma's createMany spends about a millisecond per row.
 */
async function scheduleAndMark(
  tx: Prisma.TransactionClient,
  work: {
    deliveries: { id: string; tenantId: string; endpointId: string; eventId: string; eventType: string; payload: unknown }[];
    jobs: { id: string; tenantId: string; consumer: string; key: string; payload: unknown }[];
  },
  ids: string[],
  published: number,
): Promise<{ scheduled: number; enqueued: number }> {
  const now = Prisma.sql`${new Date()}::timestamp(3)`;
  const [row] = await tx.$queryRaw<{ scheduled: number; enqueued: number }[]>`
    WITH scheduled AS (
      INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, payload, status, attempt_count, next_attempt_at, created_at, updated_at)
      SELECT d.id, d."tenantId", d."endpointId", d."eventId", d."eventType", d.payload, 'PENDING', 0, ${now}, ${now}, ${now}
        FROM jsonb_to_recordset(${JSON.stringify(work.deliveries)}::jsonb)
             AS d(id text, "tenantId" text, "endpointId" text, "eventId" text, "eventType" text, payload jsonb)
      ON CONFLICT (endpoint_id, event_id) DO NOTHING
      RETURNING 1
    ), enqueued AS (
      INSERT INTO consumer_jobs (id, tenant_id, consumer, key, payload, status, attempt_count, next_attempt_at, created_at)
      SELECT j.id, j."tenantId", j.consumer, j.key, j.payload, 'PENDING', 0, ${now}, ${now}
        FROM jsonb_to_recordset(${JSON.stringify(work.jobs)}::jsonb)
             AS j(id text, "tenantId" text, consumer text, key text, payload jsonb)
      ON CONFLICT (consumer, key) DO NOTHING
      RETURNING 1
    ), marked AS (
      UPDATE outbox_events
         SET dispatched_at = ${now}, published_at = CASE WHEN id = ANY(${ids.slice(0, published)}::text[]) THEN ${now} END
       WHERE id = ANY(${ids}::text[]) AND dispatched_at IS NULL
    )
    SELECT (SELECT count(*)::int FROM scheduled) AS scheduled, (SELECT count(*)::int FROM enqueued) AS enqueued`;
  return { scheduled: row?.scheduled ?? 0, enqueued: row?.enqueued ?? 0 };
}
