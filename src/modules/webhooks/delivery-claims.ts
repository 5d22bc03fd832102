import type { PrismaClient } from '../../generated/prisma/client.ts';
import type { SigningSecrets } from './signing.ts';

/** A delivery this instance holds the lease on, with what sending it needs of its endpoint. */
export type ClaimedDelivery = {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: unknown;
  /** Attempts made before this one. */
  attemptCount: number;
  endpoint: SigningSecrets & { url: string; isActive: boolean; failingSince: Date | null };
};

type ClaimRow = Omit<ClaimedDelivery, 'endpoint'> & ClaimedDelivery['endpoint'];

export type Claim = {
  deliveries: ClaimedDelivery[];
  /** Whether due deliveries may be left: the claim was full, or endpoints are at their cap. */
  more: boolean;
};

/**
 * Claims due deliveries for this instance. Endpoints take turns: each one's oldest due delivery
 * comes before any endpoint's second, so a backlog at some endpoints does not hold up the others,
 * and none gets more than `perEndpoint` in flight here, counting `inFlight` (this instance's
 * attempts per endpoint). Rows are locked with SKIP LOCKED, so instances claiming at once get
 * disjoint sets, and their next_attempt_at is pushed to `leaseUntil` before the commit, so no
 * other instance takes them while they are in flight; if this instance dies, they come due again
 * when the lease runs out.
 */
export async function claimDue(
  prisma: PrismaClient,
  options: { limit: number; perEndpoint: number; inFlight: ReadonlyMap<string, number>; now: Date; leaseUntil: Date },
): Promise<Claim> {
  const { limit, perEndpoint, inFlight, now, leaseUntil } = options;
  // One statement, so one transaction: `due` picks without locking, `claimed` locks what is still
  // due when it gets there, and the update takes the lease. `claimed` and the update reach rows by
  // primary key whatever the planner's statistics say: the embedded database has no autovacuum to
  // keep them fresh, and a plan that scans every pending delivery costs ten times as much.
  const rows = await prisma.$queryRaw<ClaimRow[]>`
    WITH due AS (
      SELECT head.id FROM (
        SELECT head.id, head.next_attempt_at,
               row_number() OVER (PARTITION BY head.endpoint_id ORDER BY head.next_attempt_at) AS turn
          FROM (SELECT id, ${perEndpoint}::int - COALESCE((${JSON.stringify(Object.fromEntries(inFlight))}::jsonb ->> id)::int, 0) AS room
                  FROM webhook_endpoints) endpoint
         CROSS JOIN LATERAL (
               SELECT id, endpoint_id, next_attempt_at FROM webhook_deliveries
                WHERE endpoint_id = endpoint.id AND status = 'PENDING' AND next_attempt_at <= ${now}
                ORDER BY next_attempt_at
                LIMIT endpoint.room) head
         WHERE endpoint.room > 0
      ) head
      ORDER BY head.turn, head.next_attempt_at
      LIMIT ${limit}
    ), claimed AS (
      SELECT locked.id FROM due CROSS JOIN LATERAL (
        SELECT id FROM webhook_deliveries
         WHERE id = due.id AND status = 'PENDING' AND next_attempt_at <= ${now}
           FOR UPDATE SKIP LOCKED) locked
    ), leased AS (
      UPDATE webhook_deliveries d
         SET next_attempt_at = ${leaseUntil}
       WHERE d.id = ANY (ARRAY(SELECT id FROM claimed))
      RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempt_count
    )
    SELECT d.id, d.tenant_id AS "tenantId", d.endpoint_id AS "endpointId", d.event_id AS "eventId",
           d.event_type AS "eventType", d.payload, d.attempt_count AS "attemptCount",
           e.url, e.secret, e.previous_secret AS "previousSecret",
           e.previous_secret_expires_at AS "previousSecretExpiresAt",
           e.is_active AS "isActive", e.failing_since AS "failingSince"
      FROM leased d JOIN webhook_endpoints e ON e.id = d.endpoint_id`;
  const busy = new Map(inFlight);
  for (const row of rows) busy.set(row.endpointId, (busy.get(row.endpointId) ?? 0) + 1);
  return {
    deliveries: rows.map(toClaimed),
    more: rows.length === limit || [...busy.values()].some((count) => count >= perEndpoint),
  };
}

function toClaimed(row: ClaimRow): ClaimedDelivery {
  const { url, secret, previousSecret, previousSecretExpiresAt, isActive, failingSince, ...delivery } = row;
  return { ...delivery, endpoint: { url, secret, previousSecret, previousSecretExpiresAt, isActive, failingSince } };
}
