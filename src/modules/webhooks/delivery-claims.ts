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
  lastAttemptAt: Date | null;
  createdAt: Date;
  /** Until when the claim is this instance's: its lease_until, as the claim set it. */
  leaseUntil: Date;
  endpoint: SigningSecrets & { url: string; isActive: boolean; failingSince: Date | null };
};

type ClaimRow = Omit<ClaimedDelivery, 'endpoint' | 'leaseUntil'> & ClaimedDelivery['endpoint'];

export type Claim = {
  deliveries: ClaimedDelivery[];
  /** Whether due deliveries may be left: the claim was full, or endpoints or tenants are at their cap. */
  more: boolean;
};

/** What this instance has in flight, per endpoint and per tenant. */
export type InFlight = { endpoints: ReadonlyMap<string, number>; tenants: ReadonlyMap<string, number> };

/**
 * Claims due deliveries for this instance.
 * - Endpoints take turns: each one's oldest due delivery comes before any endpoint's second, so a
 *   backlog at some endpoints does not hold up the others, and none gets more than `perEndpoint`
 *   in flight here.
 * - Tenants take turns too: a delivery's place is its tenant's attempts in flight plus its rank
 *   within the tenant, so the tenant with less in flight goes first, and no tenant gets more than
 *   `perTenant` in flight here: one tenant's backlog or slow receivers leave room for the others.
 * Rows are locked with SKIP LOCKED, so instances claiming at once get disjoint sets, and their
 * lease_until is set to `leaseUntil` before the commit, so no other instance takes them while
 * they are in flight; if this instance dies, they come due again when the lease runs out. The
 * lease is in no index, so claiming updates rows in place (heap-only) without index entries.
 */
export async function claimDue(
  prisma: PrismaClient,
  options: { limit: number; perEndpoint: number; perTenant: number; inFlight: InFlight; now: Date; leaseUntil: Date },
): Promise<Claim> {
  const { limit, perEndpoint, perTenant, now, leaseUntil } = options;
  // As they are now: attempts may finish while the claim runs.
  const endpoints = new Map(options.inFlight.endpoints);
  const tenants = new Map(options.inFlight.tenants);
  const endpointsBusy = JSON.stringify(Object.fromEntries(endpoints));
  const tenantsBusy = JSON.stringify(Object.fromEntries(tenants));
  // One statement, so one transaction: `due` picks without locking, `claimed` locks each row and
  // keeps what is still due, and the update takes the lease. `claimed` and the update reach rows by
  // primary key whatever the planner's statistics say: on the embedded database they are only as
  // fresh as its last vacuum, and after a burst of replays a plan that scanned the pending index
  // for every row took seconds. Hence the lock by id alone, its LIMIT keeping the conditions out
  // of that scan, and the conditions checked on the row as locked.
  const rows = await prisma.$queryRaw<ClaimRow[]>`
    WITH head AS (
      SELECT head.id, head.tenant_id, head.next_attempt_at,
             row_number() OVER (PARTITION BY head.endpoint_id ORDER BY head.next_attempt_at) AS turn
        FROM (SELECT id, ${perEndpoint}::int - COALESCE((${endpointsBusy}::jsonb ->> id)::int, 0) AS room
                FROM webhook_endpoints) endpoint
       CROSS JOIN LATERAL (
             SELECT id, tenant_id, endpoint_id, next_attempt_at FROM webhook_deliveries
              WHERE endpoint_id = endpoint.id AND status = 'PENDING' AND next_attempt_at <= ${now}
                AND (lease_until IS NULL OR lease_until <= ${now})
              ORDER BY next_attempt_at
              LIMIT endpoint.room) head
       WHERE endpoint.room > 0
    ), ranked AS (
      SELECT id, next_attempt_at, turn,
             COALESCE((${tenantsBusy}::jsonb ->> tenant_id)::int, 0)
               + row_number() OVER (PARTITION BY tenant_id ORDER BY turn, next_attempt_at) AS place
        FROM head
    ), due AS (
      SELECT id FROM ranked
       WHERE place <= ${perTenant}
       ORDER BY place, turn, next_attempt_at
       LIMIT ${limit}
    ), claimed AS (
      SELECT locked.id FROM due CROSS JOIN LATERAL (
        SELECT id, status, next_attempt_at, lease_until FROM webhook_deliveries
         WHERE id = due.id LIMIT 1
           FOR UPDATE SKIP LOCKED) locked
       WHERE locked.status = 'PENDING' AND locked.next_attempt_at <= ${now} AND (locked.lease_until IS NULL OR locked.lease_until <= ${now})
    ), leased AS (
      UPDATE webhook_deliveries d
         SET lease_until = ${leaseUntil}
       WHERE d.id = ANY (ARRAY(SELECT id FROM claimed))
      RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_id, d.event_type, d.payload, d.attempt_count, d.last_attempt_at, d.created_at
    )
    SELECT d.id, d.tenant_id AS "tenantId", d.endpoint_id AS "endpointId", d.event_id AS "eventId",
           d.event_type AS "eventType", d.payload, d.attempt_count AS "attemptCount",
           d.last_attempt_at AS "lastAttemptAt", d.created_at AS "createdAt",
           e.url, e.secret, e.previous_secret AS "previousSecret",
           e.previous_secret_expires_at AS "previousSecretExpiresAt",
           e.is_active AS "isActive", e.failing_since AS "failingSince"
      FROM leased d JOIN webhook_endpoints e ON e.id = d.endpoint_id`;
  for (const row of rows) {
    endpoints.set(row.endpointId, (endpoints.get(row.endpointId) ?? 0) + 1);
    tenants.set(row.tenantId, (tenants.get(row.tenantId) ?? 0) + 1);
  }
  const atCap = (counts: Map<string, number>, cap: number) => [...counts.values()].some((count) => count >= cap);
  return {
    deliveries: rows.map((row) => ({ ...toClaimed(row), leaseUntil })),
    more: rows.length === limit || atCap(endpoints, perEndpoint) || atCap(tenants, perTenant),
  };
}

function toClaimed(row: ClaimRow): Omit<ClaimedDelivery, 'leaseUntil'> {
  const { url, secret, previousSecret, previousSecretExpiresAt, isActive, failingSince, ...delivery } = row;
  return { ...delivery, endpoint: { url, secret, previousSecret, previousSecretExpiresAt, isActive, failingSince } };
}
