import { randomUUID } from 'node:crypto';
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
  /** The claim's token: recording an outcome needs it, so a run whose lease was taken over records nothing. */
  leaseToken: string;
};

type Db = Prisma.TransactionClient | PrismaClient;

/** The job's outcome was not recorded: its lease ran out and another claim took it. */
export class LeaseLostError extends Error {
  constructor() {
    super('the lease on the job ran out and another claim took it');
    this.name = 'LeaseLostError';
  }
}

/**
 * Claims due jobs of `consumers` for this instance.
 * - A job with an ordering key runs only once every other pending job of its consumer and key
 *   is younger and due: none older waits (nor one leased, or waiting for a retry). It comes with
 *   up to `followers` of the key's next jobs, in order, up to the first that is not due.
 * - Tenants take turns: each tenant with pending jobs offers its oldest due ones, up to
 *   `perTenant` less what it has in flight here; a job's place is its tenant's jobs in flight
 *   plus its rank in the tenant, so the tenant with less in flight goes first.
 * - Heads are locked with SKIP LOCKED and leased, with a new lease token, in the same statement:
 *   instances claiming at once get disjoint sets, and a crashed instance's jobs come due again
 *   when their lease runs out.
 * - Its cost follows the pending sequences and the jobs it takes, not the backlog: it visits
 *   each sequence's head (skipping from one sequence to the next in their index), and each
 *   tenant's oldest unordered jobs per consumer, so that thousands of jobs queued behind the
 *   sequences running now are never read.
 */
export async function claimJobs(
  prisma: PrismaClient,
  options: { consumers: string[]; limit: number; perTenant: number; followers: number; tenantsInFlight: ReadonlyMap<string, number>; now: Date; leaseUntil: Date },
): Promise<ClaimedJob[]> {
  const { consumers, limit, perTenant, followers, now, leaseUntil } = options;
  const tenantsBusy = JSON.stringify(Object.fromEntries(options.tenantsInFlight));
  const leaseToken = randomUUID();
  return prisma.$queryRaw<ClaimedJob[]>`
    WITH RECURSIVE sequences AS (
      (SELECT tenant_id, consumer, ordering_key FROM consumer_jobs
        WHERE status = 'PENDING' AND ordering_key IS NOT NULL
        ORDER BY tenant_id, consumer, ordering_key LIMIT 1)
      UNION ALL
      SELECT later.tenant_id, later.consumer, later.ordering_key FROM sequences CROSS JOIN LATERAL (
        SELECT next.tenant_id, next.consumer, next.ordering_key FROM consumer_jobs next
         WHERE next.status = 'PENDING' AND next.ordering_key IS NOT NULL
           AND (next.tenant_id, next.consumer, next.ordering_key) > (sequences.tenant_id, sequences.consumer, sequences.ordering_key)
         ORDER BY next.tenant_id, next.consumer, next.ordering_key LIMIT 1) later
    ), unordered_tenants AS (
      (SELECT tenant_id FROM consumer_jobs WHERE status = 'PENDING' AND ordering_key IS NULL ORDER BY tenant_id LIMIT 1)
      UNION ALL
      SELECT (SELECT next.tenant_id FROM consumer_jobs next
               WHERE next.status = 'PENDING' AND next.ordering_key IS NULL AND next.tenant_id > unordered_tenants.tenant_id
               ORDER BY next.tenant_id LIMIT 1)
        FROM unordered_tenants WHERE unordered_tenants.tenant_id IS NOT NULL
    ), candidates AS (
      SELECT head.id, head.tenant_id, head.next_attempt_at FROM sequences CROSS JOIN LATERAL (
             SELECT job.id, job.tenant_id, job.next_attempt_at FROM consumer_jobs job
              WHERE job.tenant_id = sequences.tenant_id AND job.consumer = sequences.consumer
                AND job.ordering_key = sequences.ordering_key AND job.status = 'PENDING'
              ORDER BY job.id LIMIT 1) head
       WHERE sequences.consumer = ANY(${consumers}::text[]) AND head.next_attempt_at <= ${now}
         AND NOT EXISTS (
             SELECT 1 FROM consumer_jobs other
              WHERE other.ordering_key = sequences.ordering_key AND other.consumer = sequences.consumer
                AND other.status = 'PENDING' AND other.next_attempt_at > ${now})
      UNION ALL
      SELECT due.id, due.tenant_id, due.next_attempt_at
        FROM unordered_tenants CROSS JOIN unnest(${consumers}::text[]) AS wanted(consumer) CROSS JOIN LATERAL (
             SELECT job.id, job.tenant_id, job.next_attempt_at FROM consumer_jobs job
              WHERE job.tenant_id = unordered_tenants.tenant_id AND job.consumer = wanted.consumer
                AND job.status = 'PENDING' AND job.ordering_key IS NULL AND job.next_attempt_at <= ${now}
              ORDER BY job.next_attempt_at, job.id
              LIMIT ${perTenant}::int) due
       WHERE unordered_tenants.tenant_id IS NOT NULL
    ), heads AS (
      SELECT id, next_attempt_at,
             COALESCE((${tenantsBusy}::jsonb ->> tenant_id)::int, 0)
               + row_number() OVER (PARTITION BY tenant_id ORDER BY next_attempt_at, id) AS place
        FROM candidates
    ), picked AS (
      SELECT id FROM heads WHERE place <= ${perTenant}::int ORDER BY place, next_attempt_at, id LIMIT ${limit}
    ), claimed AS (
      SELECT locked.id, locked.tenant_id, locked.consumer, locked.ordering_key FROM picked CROSS JOIN LATERAL (
        SELECT id, tenant_id, consumer, ordering_key FROM consumer_jobs
         WHERE id = picked.id AND status = 'PENDING' AND next_attempt_at <= ${now}
           FOR UPDATE SKIP LOCKED) locked
    ), following AS (
      SELECT next.id FROM claimed CROSS JOIN LATERAL (
        SELECT f.id FROM consumer_jobs f
         WHERE f.tenant_id = claimed.tenant_id AND f.consumer = claimed.consumer AND f.ordering_key = claimed.ordering_key
           AND f.status = 'PENDING' AND f.id > claimed.id
           AND NOT EXISTS (
               SELECT 1 FROM consumer_jobs gap
                WHERE gap.tenant_id = claimed.tenant_id AND gap.consumer = claimed.consumer AND gap.ordering_key = claimed.ordering_key
                  AND gap.status = 'PENDING'
                  AND gap.id > claimed.id AND gap.id <= f.id AND gap.next_attempt_at > ${now})
         ORDER BY f.id
         LIMIT ${followers}
           FOR UPDATE) next
       WHERE claimed.ordering_key IS NOT NULL
    ), leased AS (
      UPDATE consumer_jobs
         SET next_attempt_at = ${leaseUntil}, lease_token = ${leaseToken}
       WHERE id = ANY (ARRAY(SELECT id FROM claimed UNION ALL SELECT id FROM following))
      RETURNING id, tenant_id, consumer, key, ordering_key, payload, attempt_count, lease_token
    )
    SELECT id, tenant_id AS "tenantId", consumer, key, ordering_key AS "orderingKey", payload,
           attempt_count AS "attemptCount", lease_token AS "leaseToken"
      FROM leased
     ORDER BY id`;
}

/** Pushes the lease of jobs still running here forward, so that no other instance takes them over. */
export async function renewLeases(prisma: PrismaClient, jobs: { id: string; leaseToken: string }[], leaseUntil: Date): Promise<void> {
  if (jobs.length === 0) return;
  await prisma.$executeRaw`
    UPDATE consumer_jobs SET next_attempt_at = ${leaseUntil}
     WHERE status = 'PENDING' AND (id, lease_token) IN (SELECT * FROM unnest(${jobs.map((job) => job.id)}::text[], ${jobs.map((job) => job.leaseToken)}::text[]))`;
}

/**
 * Marks jobs done, inside the transaction that did their work when there is one; throws
 * LeaseLostError (rolling that transaction back) when any of them is no longer this claim's.
 */
export async function markDone(db: Db, jobs: ClaimedJob[]): Promise<void> {
  if (jobs.length === 0) return;
  const done = await db.$executeRaw`
    UPDATE consumer_jobs
       SET status = 'DONE', attempt_count = attempt_count + 1, next_attempt_at = NULL, last_error = NULL, finished_at = ${new Date()}
     WHERE id = ANY(${jobs.map((job) => job.id)}::text[]) AND lease_token = ${jobs[0]!.leaseToken} AND status = 'PENDING'`;
  if (done !== jobs.length) throw new LeaseLostError();
}

/** Records a failed attempt: due again at `retryAt`, or FAILED for good when it is null. */
export async function markFailed(prisma: PrismaClient, job: ClaimedJob, error: string, retryAt: Date | null): Promise<void> {
  await prisma.$executeRaw`
    UPDATE consumer_jobs
       SET attempt_count = attempt_count + 1, last_error = ${error.slice(0, 2000)},
           status = ${retryAt ? 'PENDING' : 'FAILED'}::"JobStatus", next_attempt_at = ${retryAt},
           finished_at = ${retryAt ? null : new Date()}
     WHERE id = ${job.id} AND lease_token = ${job.leaseToken} AND status = 'PENDING'`;
}

/** Hands jobs back without counting an attempt (shutdown, or jobs behind one that failed): due at once. */
export async function release(prisma: PrismaClient, jobs: ClaimedJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await prisma.$executeRaw`
    UPDATE consumer_jobs SET next_attempt_at = ${new Date()}
     WHERE id = ANY(${jobs.map((job) => job.id)}::text[]) AND lease_token = ${jobs[0]!.leaseToken} AND status = 'PENDING'`;
}

/** Deletes jobs finished before `before`. */
export async function deleteFinished(prisma: PrismaClient, before: Date): Promise<void> {
  await prisma.consumerJob.deleteMany({ where: { finishedAt: { lt: before } } });
}

/** When the oldest job of `consumers` still to run was enqueued; null when none is (a removed consumer's jobs never run). */
export async function oldestUnfinished(prisma: PrismaClient, consumers: string[]): Promise<Date | null> {
  const oldest = await prisma.consumerJob.findFirst({
    where: { status: 'PENDING', consumer: { in: consumers } },
    orderBy: { createdAt: 'asc' },
    select: { createdAt: true },
  });
  return oldest?.createdAt ?? null;
}

export type NewJob = {
  consumer: string;
  tenantId: string;
  key: string;
  /** Names a sequence of the consumer's jobs that run one at a time, in the order they were enqueued. */
  orderingKey?: string | null;
  payload: unknown;
};

/**
 * Enqueues jobs in one statement, in the order given; resolves with those that were new (a job
 * whose consumer and key exist already, or come earlier in the list, is left as it is).
 */
export async function enqueueJobs<Job extends NewJob>(db: Db, jobs: Job[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  const now = new Date();
  const rows = jobs.map((job) => ({ ...job, id: uuid7(), orderingKey: job.orderingKey ?? null }));
  const inserted = await db.$queryRaw<{ consumer: string; key: string }[]>`
    INSERT INTO consumer_jobs (id, tenant_id, consumer, key, ordering_key, payload, status, attempt_count, next_attempt_at, created_at)
    SELECT j.id, j."tenantId", j.consumer, j.key, j."orderingKey", j.payload, 'PENDING', 0, ${now}, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
           AS j(id text, "tenantId" text, consumer text, key text, "orderingKey" text, payload jsonb)
    ON CONFLICT (consumer, key) DO NOTHING
    RETURNING consumer, key`;
  const isNew = new Set(inserted.map(jobIdentity));
  return jobs.filter((job) => isNew.delete(jobIdentity(job)));
}

/** A job as its consumer and key name it: unique among jobs. */
export const jobIdentity = (job: { consumer: string; key: string }) => `${job.consumer}\0${job.key}`;
