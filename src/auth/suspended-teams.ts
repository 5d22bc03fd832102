import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { INSTANCE_WIDE, type PubSub, type Unlisten } from '../pubsub/pubsub.ts';

/** How often every instance re-reads which teams are suspended, catching a change it did not hear. */
const RESYNC_INTERVAL_MS = 5_000;

/**
 * The teams an operator suspended, checked on every request from memory. The database is the
 * source of truth (`tenants.suspended_at`): each instance loads it at start, hears changes
 * announced over pub/sub as they are made (`npm run admin`), and re-reads it every few seconds,
 * which is how a change reaches instances that pub/sub cannot (the embedded default, a Redis outage).
 */
export class SuspendedTeams {
  private suspended = new Set<string>();
  private readonly onSuspendedListeners = new Set<(tenantId: string) => void>();
  private unlisten: Unlisten | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.resync();
    this.unlisten = await this.pubsub.listen('teamSuspension', INSTANCE_WIDE, undefined, ({ tenantId, suspended }) => this.heard(tenantId, suspended));
    this.timer = setInterval(() => {
      this.resync().catch((error) => this.logger.warn({ err: error }, 'could not re-read suspended teams'));
    }, RESYNC_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
  }

  has(tenantId: string): boolean {
    return this.suspended.size > 0 && this.suspended.has(tenantId);
  }

  /** Calls `listener` with each team this instance learns is suspended, to close what it has open. */
  onSuspended(listener: (tenantId: string) => void): void {
    this.onSuspendedListeners.add(listener);
  }

  private heard(tenantId: string, suspended: boolean) {
    if (!suspended) {
      this.suspended.delete(tenantId);
      return;
    }
    if (this.suspended.has(tenantId)) return;
    this.suspended.add(tenantId);
    for (const listener of this.onSuspendedListeners) listener(tenantId);
  }

  private async resync(): Promise<void> {
    const rows = await this.prisma.tenant.findMany({ where: { suspendedAt: { not: null } }, select: { id: true } });
    const now = new Set(rows.map((row) => row.id));
    for (const tenantId of this.suspended) if (!now.has(tenantId)) this.heard(tenantId, false);
    for (const tenantId of now) this.heard(tenantId, true);
  }
}
