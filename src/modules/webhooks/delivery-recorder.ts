import type { Config } from '../../config.ts';
import { GroupCommit } from '../../db/group-commit.ts';
import { uuid7 } from '../../db/uuid7.ts';
import type { Outbox, UnitOfWork } from '../events.ts';
import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import type { AttemptResult } from './delivery-attempt.ts';
import type { ClaimedDelivery } from './delivery-claims.ts';
import { toMessage, type DeliveryUpdate } from './delivery-messages.ts';
import { decideOutcome, type Outcome } from './delivery-outcome.ts';

/** Attempts one statement records at most: busy moments spread its fixed cost (the plan, the event, the commit) over more. */
const MAX_BATCH = 250;
/**
 * How long the first finished attempt waits for others to share its transaction. Attempts then
 * cost one statement per batch rather than a few each, which multiplies throughput; it delays
 * only the record, not the request, and the endpoint's next attempt does not wait for it.
 */
const GROUP_COMMIT_WAIT_MS = 5;

type Finished = { delivery: ClaimedDelivery; result: AttemptResult | null; outcome: Outcome };

/**
 * The record stage: attempts finished while a transaction is committing wait and go together in
 * the next one (group commit), each with its attempt row, the delivery's new state and the
 * endpoint's health, and one `webhook.deliveries_updated` event per tenant for them all: an event
 * per attempt would double what recording writes. Every change is conditional on the attempt
 * count and the lease the claim saw, so a worker whose lease ran out (it stalled past it, and
 * another claim may have taken the delivery) records nothing and leaves the new holder's lease
 * alone. A batch that fails is recorded again one attempt at a time (GroupCommit): one bad row
 * (say, of an endpoint deleted meanwhile) must not hold up the others.
 */
export class DeliveryRecorder {
  /** Each attempt's record, and whether it was recorded: false when the claim was lost. */
  private readonly records: GroupCommit<Finished, boolean>;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly settings: Config['webhooks'],
    private readonly logger: Logger,
  ) {
    this.records = new GroupCommit({ maxWeight: MAX_BATCH, gatherMs: GROUP_COMMIT_WAIT_MS, commit: (batch) => this.commit(batch) });
  }

  /**
   * Records an attempt, or with none the failure of a delivery whose endpoint is disabled, and
   * what follows it; answers that outcome once committed, or null when the claim was lost.
   */
  async record(delivery: ClaimedDelivery, result: AttemptResult | null): Promise<Outcome | null> {
    const outcome = decideOutcome(delivery, result, this.settings);
    return (await this.records.submit({ delivery, result, outcome })) ? outcome : null;
  }

  /**
   * Gives back claims of this instance not attempted (cancelled at shutdown, or waited too long
   * for a slot), so that any instance takes them up at once. A claim is matched by the lease it
   * set: one that ran out and was taken by another claim since is left alone.
   */
  async release(deliveries: ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.prisma.webhookDelivery.updateMany({
      where: {
        status: 'PENDING',
        OR: deliveries.map(({ id, attemptCount, leaseUntil }) => ({ id, attemptCount, leaseUntil })),
      },
      data: { leaseUntil: null },
    });
  }

  private async commit(batch: Finished[]): Promise<boolean[]> {
    const recorded = batch.every(leavesEndpointAsItWas) ? await this.commitInOneStatement(batch) : await this.commitWithEndpoints(batch);
    return batch.map((item) => recorded.has(item.delivery.id));
  }

  /**
   * The usual case, attempts that leave their endpoints' health as it was, in one statement: on
   * the embedded database every round trip of a transaction holds up all other connections.
   */
  private async commitInOneStatement(batch: Finished[]): Promise<Set<string>> {
    const now = new Date();
    const eventIds = new Map(batch.map(({ delivery }) => [delivery.tenantId, uuid7()]));
    const rows = batch.map(({ delivery, result, outcome }, place) => {
      const change = deliveryChange({ delivery, result, outcome });
      return { ...change, place, eventId: eventIds.get(delivery.tenantId), attempt: result ? attemptRow(result) : null, message: messageAfter(delivery, change, now) };
    });
    const updated = await this.prisma.$queryRaw<{ id: string }[]>`
      WITH v AS (
        SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                   AS v(id text, seen int, lease timestamp(3), attempts int, status text, last timestamp(3), next timestamp(3), place int, "eventId" text,
                        attempt jsonb, message jsonb)
      ), updated AS (
        UPDATE webhook_deliveries d
           SET status = v.status::"DeliveryStatus", attempt_count = v.attempts, next_attempt_at = v.next,
               last_attempt_at = COALESCE(v.last, d.last_attempt_at), lease_until = NULL, updated_at = ${now}
          FROM v
         WHERE d.id = v.id AND d.attempt_count = v.seen AND d.lease_until = v.lease AND d.status = 'PENDING'
        RETURNING d.id, d.tenant_id, v.place, v."eventId", v.attempt, v.message
      ), attempts AS (
        INSERT INTO webhook_attempts (id, delivery_id, attempt_number, started_at, status_code, duration_ms, response_body, error, request_headers)
        SELECT a.id, u.id, a."attemptNumber", a."startedAt", a."statusCode", a."durationMs", a."responseBody", a.error, a."requestHeaders"
          FROM updated u
         CROSS JOIN LATERAL jsonb_to_record(u.attempt)
               AS a(id text, "attemptNumber" int, "startedAt" timestamp(3), "statusCode" int, "durationMs" int, "responseBody" text, error text,
                    "requestHeaders" jsonb)
         WHERE u.attempt IS NOT NULL
      ), events AS (
        INSERT INTO outbox_events (id, tenant_id, type, data, created_at)
        SELECT u."eventId", u.tenant_id, 'webhook.deliveries_updated',
               jsonb_build_object('deliveries', jsonb_agg(u.message ORDER BY u.place)), ${now}
          FROM updated u
         GROUP BY u."eventId", u.tenant_id
      )
      SELECT id FROM updated`;
    if (updated.length > 0) this.outbox.announceCommitted();
    return new Set(updated.map((row) => row.id));
  }

  private async commitWithEndpoints(batch: Finished[]): Promise<Set<string>> {
    return this.outbox.transaction(async (unit) => {
      const updated = new Map((await this.updateDeliveries(batch, unit)).map((delivery) => [delivery.id, delivery]));
      const mine = batch.filter((item) => updated.has(item.delivery.id));
      await this.insertAttempts(mine, unit);
      await this.updateEndpoints(mine, unit);
      // In the order recorded, as the one-statement path emits them.
      const byTenant = new Map<string, DeliveryUpdate[]>();
      for (const id of new Set(mine.map((item) => item.delivery.id))) {
        const delivery = updated.get(id)!;
        const theirs = byTenant.get(delivery.tenantId) ?? [];
        byTenant.set(delivery.tenantId, theirs);
        theirs.push(delivery);
      }
      await unit.emitAll(
        [...byTenant].map(([tenantId, theirs]) => ({ tenantId, type: 'webhook.deliveries_updated', data: { deliveries: theirs.map(toMessage) } })),
      );
      return new Set(updated.keys());
    });
  }

  /** One statement for the whole batch; answers the deliveries it changed, which are those whose claim still holds. */
  private updateDeliveries(batch: Finished[], { tx }: UnitOfWork) {
    const rows = batch.map(deliveryChange);
    return tx.$queryRaw<DeliveryUpdate[]>`
      UPDATE webhook_deliveries d
         SET status = v.status::"DeliveryStatus", attempt_count = v.attempts, next_attempt_at = v.next,
             last_attempt_at = COALESCE(v.last, d.last_attempt_at), lease_until = NULL, updated_at = ${new Date()}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
             AS v(id text, seen int, lease timestamp(3), attempts int, status text, last timestamp(3), next timestamp(3))
       WHERE d.id = v.id AND d.attempt_count = v.seen AND d.lease_until = v.lease AND d.status = 'PENDING'
      RETURNING d.id, d.tenant_id AS "tenantId", d.endpoint_id AS "endpointId", d.event_id AS "eventId",
                d.event_type AS "eventType", d.status, d.attempt_count AS "attemptCount",
                d.next_attempt_at AS "nextAttemptAt", d.last_attempt_at AS "lastAttemptAt",
                d.created_at AS "createdAt", d.updated_at AS "updatedAt"`;
  }

  /** Raw, like the update: Prisma's createMany spends about a millisecond per row on these. */
  private async insertAttempts(recorded: Finished[], { tx }: UnitOfWork) {
    const rows = recorded.flatMap(({ delivery, result }) => (result ? [{ ...attemptRow(result), deliveryId: delivery.id }] : []));
    if (rows.length === 0) return;
    await tx.$executeRaw`
      INSERT INTO webhook_attempts (id, delivery_id, attempt_number, started_at, status_code, duration_ms, response_body, error, request_headers)
      SELECT id, "deliveryId", "attemptNumber", "startedAt", "statusCode", "durationMs", "responseBody", error, "requestHeaders"
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
             AS a(id text, "deliveryId" text, "attemptNumber" int, "startedAt" timestamp(3), "statusCode" int,
                  "durationMs" int, "responseBody" text, error text, "requestHeaders" jsonb)`;
  }

  /** An endpoint that succeeded is healthy again; the first failure after a success starts its failing window. */
  private async updateEndpoints(recorded: Finished[], unit: UnitOfWork) {
    const byEndpoint = new Map<string, Finished[]>();
    for (const item of recorded) {
      if (!item.result) continue;
      const theirs = byEndpoint.get(item.delivery.endpointId) ?? [];
      byEndpoint.set(item.delivery.endpointId, theirs);
      theirs.push(item);
    }
    for (const [endpointId, items] of byEndpoint) {
      const wasFailing = items.some((item) => item.delivery.endpoint.failingSince);
      const succeeded = items.some((item) => item.outcome.status === 'SENT');
      if (succeeded && wasFailing) {
        await unit.tx.webhookEndpoint.update({ where: { id: endpointId }, data: { failingSince: null } });
      } else if (!succeeded && !wasFailing) {
        await unit.tx.webhookEndpoint.updateMany({ where: { id: endpointId, failingSince: null }, data: { failingSince: items[0]!.result!.startedAt } });
      }
      const disabling = items.find((item) => item.outcome.disableReason);
      if (disabling) await this.disableEndpoint(disabling.delivery, disabling.outcome.disableReason!, unit);
    }
  }

  private async disableEndpoint(delivery: ClaimedDelivery, reason: string, { tx, emit }: UnitOfWork) {
    const { count } = await tx.webhookEndpoint.updateMany({
      where: { id: delivery.endpointId, isActive: true },
      data: { isActive: false, disabledReason: reason },
    });
    if (count === 0) return;
    this.logger.warn({ endpointId: delivery.endpointId, tenantId: delivery.tenantId, reason }, 'disabling webhook endpoint');
    await emit(delivery.tenantId, 'endpoint.disabled', { endpointId: delivery.endpointId, url: delivery.endpoint.url, reason });
  }
}

/** Whether recording this attempt changes nothing of its endpoint: it succeeded at a healthy one, or no request was made. */
function leavesEndpointAsItWas({ delivery, result, outcome }: Finished): boolean {
  return !outcome.disableReason && (!result || (outcome.status === 'SENT' && !delivery.endpoint.failingSince));
}

/** The delivery's new state, for a statement that applies it only while the claim holds. */
function deliveryChange({ delivery, result, outcome }: Finished) {
  return {
    id: delivery.id,
    seen: delivery.attemptCount,
    lease: delivery.leaseUntil,
    attempts: result?.attemptNumber ?? delivery.attemptCount,
    status: outcome.status,
    last: result?.startedAt ?? null,
    next: outcome.nextAttemptAt,
  };
}

function attemptRow(result: AttemptResult) {
  const { retryAfterMs: _, ...attempt } = result;
  return { ...attempt, id: uuid7() };
}

/**
 * The delivery as the update leaves it, for the event: built here rather than by the statement,
 * which would spend a fifth of its time building JSON objects on the embedded database.
 */
function messageAfter(delivery: ClaimedDelivery, change: ReturnType<typeof deliveryChange>, now: Date) {
  const { id, tenantId, endpointId, eventId, eventType, createdAt } = delivery;
  return toMessage({
    id,
    tenantId,
    endpointId,
    eventId,
    eventType,
    status: change.status,
    attemptCount: change.attempts,
    nextAttemptAt: change.next,
    lastAttemptAt: change.last ?? delivery.lastAttemptAt,
    createdAt,
    updatedAt: now,
  });
}
