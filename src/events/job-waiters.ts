import { jobIdentity } from './job-claims.ts';

/** Callers waiting for a job to finish in this instance, by consumer and key. */
export class JobWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves true once the job of `consumer` named `key` finished here, false after `waitMs` (it may run elsewhere, or later). */
  waitFor(consumer: string, key: string, waitMs: number): Promise<boolean> {
    const id = jobIdentity({ consumer, key });
    return new Promise((resolve) => {
      const waiters = this.waiting.get(id) ?? new Set();
      this.waiting.set(id, waiters);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        waiters.delete(done);
        if (waiters.size === 0) this.waiting.delete(id);
        resolve(false);
      }, waitMs);
      waiters.add(done);
    });
  }

  /** These jobs finished: their waiters resolve true. */
  finished(jobs: { consumer: string; key: string }[]): void {
    for (const job of jobs) {
      const id = jobIdentity(job);
      for (const resolve of this.waiting.get(id) ?? []) resolve();
      this.waiting.delete(id);
    }
  }
}
