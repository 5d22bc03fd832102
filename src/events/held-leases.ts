import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { renewLeases, type ClaimedJob } from './job-claims.ts';

/**
 * The jobs this instance claimed and has not recorded yet: their leases are renewed every third
 * of a lease while they run, so that only a crash lets another instance take them over.
 */
export class HeldLeases {
  private readonly held = new Map<string, ClaimedJob>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  hold(job: ClaimedJob): void {
    this.held.set(job.id, job);
  }

  /** Stops renewing the leases of jobs about to be recorded, so that a renewal cannot take back what is handed back. */
  settle(jobs: readonly ClaimedJob[]): void {
    for (const job of jobs) this.held.delete(job.id);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.renew(), Math.max(100, this.leaseMs / 3));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async renew() {
    try {
      await renewLeases(this.prisma, [...this.held.values()], new Date(Date.now() + this.leaseMs));
    } catch (error) {
      this.logger.warn({ err: error }, 'could not renew the leases of running jobs');
    }
  }
}
