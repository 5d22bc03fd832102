import type { PrismaClient } from '../generated/prisma/client.ts';
import type { EffectKeys } from './effect-keys.ts';
import { deleteFinished, oldestUnfinished } from './job-claims.ts';

const CLEANUP_EVERY_MS = 3_600_000;

/**
 * Deletes finished jobs and effect keys past their retention, at most once an hour. An effect key
 * is kept longer while a job of the effect `consumers` enqueued before it was done still waits to run (a long
 * retry schedule), since that job may need it.
 */
export class JobRetention {
  private lastCleanupAt = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly effects: EffectKeys,
    private readonly consumers: string[],
    private readonly retentionMs: number,
  ) {}

  async cleanUpNowAndThen(): Promise<void> {
    if (Date.now() - this.lastCleanupAt < CLEANUP_EVERY_MS) return;
    this.lastCleanupAt = Date.now();
    const before = new Date(Date.now() - this.retentionMs);
    await deleteFinished(this.prisma, before);
    const waiting = await oldestUnfinished(this.prisma, this.consumers);
    await this.effects.forget(waiting && waiting < before ? waiting : before);
  }
}
