import { uuid7 } from '../db/uuid7.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';

/** A job this instance holds the lease on. */
export type ClaimedJob = {
  id: string;
  tenantId: string;
  consumer: string;
  key: string;
  orderingKey: string | null;
  payload: unknown;
  attemptCount: number;
};

/** How many due jobs one claim looks at, per job it may take: enough for tenants and ordering keys to skip over. */
const SCAN_PER_SLOT = 8;

/**
 * Claims due jobs of `consumers` for this instance.
 * - A job whose ordering key has an older pending job waits for it, even one leased elsewhere or
 *   waiting for a retry; the head of a key comes with up to `followers` of its next jobs, in order.
 * - Tenants take turns: a job's place is its tenant's jobs in flight here plus its rank in the
 *   tenant, so the tenant with less in flight goes first and none takes more than `perTenant`.
 * - Heads are locked with SKIP LOCKED and leased in the same statement: instances claiming at
 *   once get disjoint sets, and a crashed instance's jobs come due again when their lease runs out.
 */
export async function claimJobs(
  prisma: PrismaClient,
  options: { consumers: string[]; limit: number; perTenant: number; followers: number; tenantsInFlight: ReadonlyMap<string, number>; now: Date; leaseUntil: Date },
): Promise<ClaimedJob[]> {
  const { consumers, limit, perTenant, followers, now, leaseUntil } = options;
  const tenantsBusy = JSON.stringify(Object.fromEntries(options.tenantsInFlight));
  return prisma.$queryRaw<ClaimedJob[]>`
    WITH due AS (
      SELECT id, tenant_id, ordering_key FROM consumer_jobs
       WHERE status = 'PENDING' AND next_attempt_at <= ${now} AND consumer = ANY(${consumers}::text[])
       ORDER BY next_attempt_at, id
       LIMIT ${limit * SCAN_PER_SLOT}
    ), heads AS (
      SELECT due.id, due.tenant_id FROM due
       WHERE due.ordering_key IS NULL OR NOT EXISTS (
             SELECT 1 FROM consumer_jobs older
              WHERE older.ordering_key = due.ordering_key AND older.status = 'PENDING' AND older.id < due.id)
    ), picked AS (
      SELECT id FROM (
        SELECT id, COALESCE((${tenantsBusy}::jsonb ->> tenant_id)::int, 0)
                   + row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS place
          FROM heads) ranked
       WHERE place <= ${perTenant}
       ORDER BY place, id
       LIMIT ${limit}
    ), claimed AS (
      SELECT locked.id, locked.ordering_key FROM picked CROSS JOIN LATERAL (
        SELECT id, ordering_key FROM consumer_jobs
         WHERE id = picked.id AND status = 'PENDING' AND next_attempt_at <= ${now}
           FOR UPDATE SKIP LOCKED) locked
    ), following AS (
      SELECT next.id FROM claimed CROSS JOIN LATERAL (
        SELECT id FROM consumer_jobs
         WHERE ordering_key = claimed.ordering_key AND status = 'PENDING' AND id > claimed.id AND next_attempt_at <= ${now}
         ORDER BY id
         LIMIT ${followers}
           FOR UPDATE SKIP LOCKED) next
       WHERE claimed.ordering_key IS NOT NULL
    ), leased AS (
      UPDATE consumer_jobs
         SET next_attempt_at = ${leaseUntil}
       WHERE id = ANY (ARRAY(SELECT id FROM claimed UNION ALL SELECT id FROM following))
      RETURNING id, tenant_id, consumer, key, ordering_key, payload, attempt_count
    )
    SELECT id, tenant_id AS "tenantId", consumer, key, ordering_key AS "orderingKey", payload, attempt_count AS "attemptCount"
      FROM leased
     ORDER BY id`;
}

/** Pushes the lease of jobs still running here forward, so that no other instance takes them over. */
export async function renewLeases(prisma: PrismaClient, ids: string[], leaseUntil: Date): Promise<void> {
  if (ids.length === 0) return;
  await prisma.$executeRaw`
    UPDATE consumer_jobs SET next_attempt_at = ${leaseUntil} WHERE id = ANY(${ids}::text[]) AND status = 'PENDING'`;
}

/** Marks jobs done, inside the transaction that did their work when there is one. */
export async function markDone(db: Prisma.TransactionClient | PrismaClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE consumer_jobs
       SET status = 'DONE', attempt_count = attempt_count + 1, next_attempt_at = NULL, last_error = NULL, finished_at = ${new Date()}
     WHERE id = ANY(${ids}::text[])`;
}

/** Records a failed attempt: due again at `retryAt`, or FAILED for good when it is null. */
export async function markFailed(prisma: PrismaClient, id: string, error: string, retryAt: Date | null): Promise<void> {
  await prisma.$executeRaw`
    UPDATE consumer_jobs
       SET attempt_count = attempt_count + 1, last_error = ${error.slice(0, 2000)},
           status = ${retryAt ? 'PENDING' : 'FAILED'}::"JobStatus", next_attempt_at = ${retryAt},
           finished_at = ${retryAt ? null : new Date()}
     WHERE id = ${id}`;
}

/** Hands jobs back without counting an attempt (shutdown, or jobs behind one that failed): due at once. */
export async function release(prisma: PrismaClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await prisma.$executeRaw`UPDATE consumer_jobs SET next_attempt_at = ${new Date()} WHERE id = ANY(${ids}::text[]) AND status = 'PENDING'`;
}

/** Deletes jobs finished before `before`. */
export async function deleteFinished(prisma: PrismaClient, before: Date): Promise<void> {
  await prisma.consumerJob.deleteMany({ where: { finishedAt: { lt: before } } });
}

export type NewJob = { consumer: string; tenantId: string; key: string; orderingKey?: string | null; payload: unknown };

/** Enqueues a job in one statement; false when one with its consumer and key exists already. */
export async function enqueueJob(db: Prisma.TransactionClient | PrismaClient, job: NewJob): Promise<boolean> {
  const rows = await db.$queryRaw<unknown[]>`
    INSERT INTO consumer_jobs (id, tenant_id, consumer, key, ordering_key, payload, status, attempt_count, next_attempt_at, created_at)
    VALUES (${uuid7()}, ${job.tenantId}, ${job.consumer}, ${job.key}, ${job.orderingKey ?? null}, ${JSON.stringify(job.payload)}::jsonb,
            'PENDING', 0, ${new Date()}, ${new Date()})
    ON CONFLICT (consumer, key) DO NOTHING
    RETURNING 1`;
  return rows.length > 0;
}
