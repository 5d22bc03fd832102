import type { PrismaClient } from '../generated/prisma/client.ts';
import { enqueueJobs, type NewJob } from './job-claims.ts';

/** The most jobs one statement takes. */
const MAX_BATCH_JOBS = 500;

type Caller = { jobs: NewJob[]; resolve: (fresh: NewJob[]) => void; reject: (error: unknown) => void };

/**
 * Enqueues the jobs of many concurrent callers with few statements (group commit): a call made
 * while an insert runs waits for it, and goes with every other call made meanwhile into the next
 * one; a call made when none runs is inserted at once. Each caller learns which of its jobs were
 * new, and resolves only once they are committed. When a shared insert fails, each caller's jobs
 * are tried alone, so that one caller's bad jobs fail that caller only.
 */
export class BatchedEnqueue {
  private waiting: Caller[] = [];
  private draining = false;

  constructor(private readonly prisma: PrismaClient) {}

  enqueue(jobs: NewJob[]): Promise<NewJob[]> {
    if (jobs.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.waiting.push({ jobs, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain() {
    this.draining = true;
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      try {
        const fresh = new Set(await enqueueJobs(this.prisma, batch.flatMap((caller) => caller.jobs)));
        for (const caller of batch) caller.resolve(caller.jobs.filter((job) => fresh.has(job)));
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else for (const caller of batch) await enqueueJobs(this.prisma, caller.jobs).then(caller.resolve, caller.reject);
      }
    }
    this.draining = false;
  }

  private takeBatch(): Caller[] {
    let jobs = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || jobs + this.waiting[count]!.jobs.length <= MAX_BATCH_JOBS)) {
      jobs += this.waiting[count]!.jobs.length;
      count++;
    }
    return this.waiting.splice(0, count);
  }
}
