import { GroupCommit } from '../db/group-commit.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { enqueueJobs, type NewJob } from './job-claims.ts';

/** The most jobs one statement takes. */
const MAX_BATCH_JOBS = 500;

/**
 * Enqueues the jobs of many concurrent callers with few statements (see GroupCommit): each caller
 * learns which of its jobs were new, once they are committed.
 */
export class BatchedEnqueue {
  private readonly group: GroupCommit<NewJob[], NewJob[]>;

  constructor(prisma: PrismaClient) {
    this.group = new GroupCommit({
      maxWeight: MAX_BATCH_JOBS,
      weight: (jobs) => jobs.length,
      commit: async (callers) => {
        const fresh = new Set(await enqueueJobs(prisma, callers.flat()));
        return callers.map((jobs) => jobs.filter((job) => fresh.has(job)));
      },
    });
  }

  enqueue(jobs: NewJob[]): Promise<NewJob[]> {
    return jobs.length === 0 ? Promise.resolve([]) : this.group.submit(jobs);
  }
}
