import { setMaxListeners } from 'node:events';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { EventMap } from './catalogue.ts';
import type { AnyConsumer, ConsumerTable, Job } from './consumers.ts';
import type { EffectKeys } from './effect-keys.ts';
import { countInFlight } from './in-flight.ts';
import { HeldLeases } from './held-leases.ts';
import { claimJobs, LeaseLostError, markDone, markFailed, release, type ClaimedJob } from './job-claims.ts';
import { JobRetention } from './job-retention.ts';
import { JobWaiters } from './job-waiters.ts';
import type { Outbox } from './outbox.ts';
import { retryDelayMs } from './retry-policy.ts';
import { Wakeable } from './wakeable.ts';

/** At shutdown, jobs running get this long to finish before they are cancelled and handed back. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Then this long to end once cancelled; one still running is left to its lease. */
const ABANDON_AFTER_CANCEL_MS = 3_000;
/** Jobs of one tenant running at once, as a share of the concurrency: the rest is kept for other tenants. */
const BUSIEST_TENANT_SHARE = 7 / 8;
/**
 * Jobs of one ordering key a transactional consumer's run takes after the first. Its run takes
 * every key of a tenant at once (up to `transactionalKeys`), so fewer followers keep one
 * transaction within a couple of thousand jobs.
 */
const TRANSACTIONAL_FOLLOWERS = 9;

export type ConsumerWorkerOptions<Events extends EventMap> = {
  prisma: PrismaClient;
  outbox: Outbox<Events>;
  consumers: ConsumerTable<Events>;
  effects: EffectKeys;
  logger: Logger;
  /** Seconds before each retry of a failed job; past the last, it is FAILED. */
  retryScheduleSeconds: readonly number[];
  /** How long a claim holds; renewed every third of it while the job runs. */
  leaseMs: number;
  /** Jobs (or ordered batches) running at once in this instance. @default 16 */
  concurrency?: number;
  /** The most jobs of one ordering key an effect consumer's run takes, one after another. @default 50 */
  batchSize?: number;
  /**
   * The most ordering keys of one tenant a transactional consumer's run takes, in one
   * transaction. A run costs mostly its round trips, whatever its size, so larger runs process
   * more for the same cost; on a database that runs one transaction at a time, a smaller one
   * holds up every other connection for less long.
   * @default 200
   */
  transactionalKeys?: number;
  /** How often to look for jobs nobody woke this instance for (retries, a crashed instance's). @default 1000 */
  pollIntervalMs?: number;
  /**
   * Finished jobs and effect keys are kept this long; an effect key longer while a job enqueued
   * before it was done still waits to run (a long retry schedule), since that job may need it.
   * @default 7 days
   */
  retentionMs?: number;
  /** Told how many jobs of a consumer ended done or failed, for metrics. */
  observeJobs?: (consumer: string, outcome: 'done' | 'failed', jobs: number) => void;
};

/**
 * Jobs run together, from one claim: one consumer's jobs of one tenant, oldest first, in one
 * transaction for a transactional consumer; a single job for an effect consumer, or the jobs of
 * one ordering key, one after another.
 */
type Batch<Events extends EventMap> = { consumer: AnyConsumer<Events, unknown>; name: string; tenantId: string; jobs: ClaimedJob[] };

/**
 * Runs internal consumers' jobs: claims due ones (see `claimJobs`), runs them, and records each
 * outcome; a failed job is retried on the consumer retry schedule, then FAILED with its last
 * error. Transactional consumers mark their jobs done in their own transaction, so they run
 * exactly once: a run whose lease was taken over (see `markDone`) rolls back. Effect consumers
 * are marked done after they return (at least once). Jobs of one ordering key run in order, and
 * one failing holds back the ones behind it until it succeeds or fails for good.
 */
export class ConsumerWorker<Events extends EventMap> extends Wakeable {
  private readonly concurrency: number;
  private readonly perTenant: number;
  private readonly batchSize: number;
  private readonly transactionalKeys: number;
  /** The consumers whose jobs run alone (effects), and those whose jobs of a tenant run together in one transaction. */
  private readonly consumerNames: { effect: string[]; transactional: string[] };
  private readonly tenantsInFlight = new Map<string, number>();
  private readonly leases: HeldLeases;
  private readonly runs = new Set<Promise<void>>();
  private cancel = new AbortController();
  private readonly waiters = new JobWaiters();
  private readonly retention: JobRetention;

  constructor(private readonly options: ConsumerWorkerOptions<Events>) {
    super(options.pollIntervalMs ?? 1000, options.logger.child({ component: 'consumer-worker' }));
    this.concurrency = options.concurrency ?? 16;
    this.perTenant = Math.max(1, Math.floor(this.concurrency * BUSIEST_TENANT_SHARE));
    this.batchSize = options.batchSize ?? 50;
    this.transactionalKeys = options.transactionalKeys ?? 200;
    const names = Object.entries(options.consumers);
    this.consumerNames = {
      effect: names.filter(([, consumer]) => consumer.kind === 'effect').map(([name]) => name),
      transactional: names.filter(([, consumer]) => consumer.kind === 'transactional').map(([name]) => name),
    };
    // Only effect consumers use effect keys: a backlog of transactional jobs need not keep them.
    this.retention = new JobRetention(options.prisma, options.effects, this.consumerNames.effect, options.retentionMs ?? 7 * 86_400_000);
    this.leases = new HeldLeases(options.prisma, options.leaseMs, this.logger);
  }

  /** Jobs were enqueued: claim now. */
  jobsEnqueued(): void {
    this.wake();
  }

  /** Resolves true once the job of `consumer` named `key` finished here, false after `waitMs` (it may run elsewhere, or later). */
  waitFor(consumer: string, key: string, waitMs: number): Promise<boolean> {
    return this.waiters.waitFor(consumer, key, waitMs);
  }

  override start(): void {
    if (this.cancel.signal.aborted) this.cancel = new AbortController();
    setMaxListeners(this.concurrency, this.cancel.signal);
    super.start();
    this.leases.start();
  }

  /**
   * Stops claiming, lets running jobs finish for a moment, then cancels them and hands them back.
   * A job that ignores the cancel is left to its lease after a last wait.
   */
  override async stop(): Promise<void> {
    await super.stop();
    const grace = setTimeout(() => this.cancel.abort(), SHUTDOWN_GRACE_MS);
    let cap: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.runs), new Promise((resolve) => (cap = setTimeout(resolve, SHUTDOWN_GRACE_MS + ABANDON_AFTER_CANCEL_MS)))]);
    clearTimeout(grace);
    clearTimeout(cap);
    this.leases.stop();
  }

  /**
   * Claims what there is room for: a run per tenant of the transactional consumers' jobs (up to
   * `transactionalKeys` ordering keys each), then a run per job (or ordering key) of the effect consumers'.
   * True when more is probably due.
   */
  protected async work(): Promise<boolean> {
    const room = this.concurrency - this.runs.size;
    if (room <= 0) return false;
    // Half the room at the most, so that effects (replies, emails) always find slots.
    const transactionalRoom = Math.ceil(room / 2);
    const together = await this.claim(this.consumerNames.transactional, {
      limit: transactionalRoom * this.transactionalKeys,
      perTenant: this.transactionalKeys,
      followers: TRANSACTIONAL_FOLLOWERS,
      // The claim's budget is in keys: a tenant at its share of runs has spent it, so that none of
      // its jobs is claimed only to be handed back, claim after claim, until one of its runs ends.
      inFlight: new Map([...this.tenantsInFlight].filter(([, runs]) => runs >= this.perTenant).map(([tenantId]) => [tenantId, this.transactionalKeys])),
    });
    // Each tenant is one run: the tenants with least in flight first, none past its share of the
    // slots; the others' jobs go back, uncounted, for the next claim.
    const batches = this.batchesOf(together).sort((a, b) => this.runsOf(a.tenantId) - this.runsOf(b.tenantId));
    const launched = batches.filter((batch) => this.runsOf(batch.tenantId) < this.perTenant).slice(0, transactionalRoom);
    for (const batch of launched) this.launch(batch);
    const surplus = batches.filter((batch) => !launched.includes(batch)).flatMap((batch) => batch.jobs);
    this.leases.settle(surplus);
    await release(this.options.prisma, surplus);
    const effectRoom = room - launched.length;
    const alone = await this.claim(this.consumerNames.effect, {
      limit: effectRoom,
      perTenant: this.perTenant,
      followers: this.batchSize - 1,
      inFlight: this.tenantsInFlight,
    });
    const effectBatches = this.batchesOf(alone);
    for (const batch of effectBatches) this.launch(batch);
    await this.retention.cleanUpNowAndThen();
    return surplus.length > 0 || together.length >= transactionalRoom * this.transactionalKeys || (effectRoom > 0 && effectBatches.length === effectRoom);
  }

  private runsOf(tenantId: string): number {
    return this.tenantsInFlight.get(tenantId) ?? 0;
  }

  private async claim(
    consumers: string[],
    { limit, perTenant, followers, inFlight }: { limit: number; perTenant: number; followers: number; inFlight: ReadonlyMap<string, number> },
  ) {
    if (consumers.length === 0 || limit <= 0) return [];
    const now = Date.now();
    return claimJobs(this.options.prisma, {
      consumers,
      limit,
      perTenant,
      followers,
      tenantsInFlight: inFlight,
      now: new Date(now),
      leaseUntil: new Date(now + this.options.leaseMs),
    });
  }

  private batchesOf(jobs: ClaimedJob[]): Batch<Events>[] {
    const batches = new Map<string, Batch<Events>>();
    for (const job of jobs) {
      const consumer = this.options.consumers[job.consumer] as AnyConsumer<Events, unknown>;
      const together = consumer.kind === 'transactional' ? `${job.consumer}\u0000${job.tenantId}` : (job.orderingKey ?? job.id);
      const batch = batches.get(together) ?? { consumer, name: job.consumer, tenantId: job.tenantId, jobs: [] };
      batch.jobs.push(job);
      batches.set(together, batch);
      this.leases.hold(job);
    }
    return [...batches.values()];
  }

  private launch(batch: Batch<Events>) {
    countInFlight(this.tenantsInFlight, batch.tenantId, 1);
    const run = this.runBatch(batch)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, consumer: batch.name }, 'job outcome not recorded; the jobs come back when their lease runs out'),
      )
      .finally(() => {
        this.leases.settle(batch.jobs);
        countInFlight(this.tenantsInFlight, batch.tenantId, -1);
        this.runs.delete(run);
        this.wake();
      });
    this.runs.add(run);
  }

  private async runBatch({ consumer, name, jobs }: Batch<Events>): Promise<void> {
    // A batch with a job that failed before runs one by one: that job alone is retried.
    if (consumer.kind === 'transactional' && jobs.length > 1 && jobs.every((job) => job.attemptCount === 0)) {
      try {
        await this.options.outbox.transaction(async (unit) => {
          await consumer.run(unit, jobs.map(asJob));
          await markDone(unit.tx, jobs);
        });
        return this.finished(name, jobs);
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        this.logger.warn({ err: error, consumer: name, jobs: jobs.length }, 'a batch failed; running its jobs one by one');
      }
    }
    const held = new Set<string>();
    const handBack: ClaimedJob[] = [];
    for (const job of jobs) {
      const sequence = job.orderingKey ?? job.id;
      if (held.has(sequence) || this.cancel.signal.aborted) {
        handBack.push(job);
        continue;
      }
      const outcome = await this.runOne(consumer, name, job);
      if (outcome === 'cancelled') handBack.push(job);
      // What follows a job that failed or was cancelled waits for it.
      if (outcome !== 'done') held.add(sequence);
    }
    this.leases.settle(handBack);
    await release(this.options.prisma, handBack);
  }

  private async runOne(consumer: AnyConsumer<Events, unknown>, name: string, job: ClaimedJob): Promise<'done' | 'failed' | 'cancelled'> {
    const { prisma, outbox } = this.options;
    try {
      if (consumer.kind === 'transactional') {
        await outbox.transaction(async (unit) => {
          await consumer.run(unit, [asJob(job)]);
          await markDone(unit.tx, [job]);
        });
      } else {
        await consumer.run(asJob(job), this.cancel.signal);
        await markDone(prisma, [job]);
      }
      this.finished(name, [job]);
      return 'done';
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      if (this.cancel.signal.aborted) return 'cancelled';
      const attempt = job.attemptCount + 1;
      const delay = retryDelayMs(this.options.retryScheduleSeconds, attempt, null);
      this.logger.warn({ err: error, consumer: name, jobId: job.id, attempt, retryInMs: delay }, delay === null ? 'job failed for good' : 'job failed; it will be retried');
      this.leases.settle([job]);
      await markFailed(prisma, job, error instanceof Error ? error.message : String(error), delay === null ? null : new Date(Date.now() + delay));
      this.options.observeJobs?.(name, 'failed', 1);
      return 'failed';
    }
  }

  private finished(consumer: string, jobs: ClaimedJob[]) {
    this.options.observeJobs?.(consumer, 'done', jobs.length);
    this.leases.settle(jobs);
    this.waiters.finished(jobs);
  }
}

function asJob(job: ClaimedJob): Job<unknown> {
  return { id: job.id, tenantId: job.tenantId, key: job.key, payload: job.payload, attemptCount: job.attemptCount };
}
