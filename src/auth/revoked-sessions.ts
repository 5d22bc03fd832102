import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';

/** How often every instance re-reads revocations, catching any announcement it missed (e.g. during a Redis outage). */
const RESYNC_INTERVAL_MS = 10_000;

/**
 * The sign-in sessions whose access tokens must stop working before they expire (logout, refresh
 * token reuse, a deactivated user), checked on every request from memory. The database is the
 * source of truth: a revoked session is one whose refresh tokens carry `revoked_at`. Each instance
 * loads what was revoked within one access-token lifetime at start, hears new revocations as they
 * are announced, and re-reads the table every few seconds. An entry is forgotten once every
 * access token the session could have issued before its revocation has expired.
 */
export class RevokedSessions {
  /** Session id -> when its last possible access token expires (ms). */
  private readonly until = new Map<string, number>();
  private lastSeen = new Date(0);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly accessTokenTtlMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.lastSeen = new Date(Date.now() - this.accessTokenTtlMs);
    await this.resync();
    this.timer = setInterval(() => {
      this.resync().catch((error) => this.logger.warn({ err: error }, 'could not re-read revoked sessions'));
    }, RESYNC_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  has(sessionId: string): boolean {
    const until = this.until.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(sessionId);
    return false;
  }

  /** Records a revocation made at `at` (now, unless re-read from the database). */
  remember(sessionId: string, at = new Date()): void {
    const until = at.getTime() + this.accessTokenTtlMs;
    if (until > (this.until.get(sessionId) ?? 0)) this.until.set(sessionId, until);
  }

  private async resync(): Promise<void> {
    // Rows revoked while the previous read ran may carry an earlier timestamp than its newest row.
    const since = new Date(this.lastSeen.getTime() - 5_000);
    const rows = await this.prisma.$queryRaw<{ familyId: string; revokedAt: Date }[]>`
      SELECT family_id AS "familyId", max(revoked_at) AS "revokedAt"
        FROM refresh_tokens WHERE revoked_at > ${since} GROUP BY family_id`;
    for (const { familyId, revokedAt } of rows) {
      this.remember(familyId, revokedAt);
      if (revokedAt > this.lastSeen) this.lastSeen = revokedAt;
    }
    const now = Date.now();
    for (const [sessionId, until] of this.until) if (until <= now) this.until.delete(sessionId);
  }
}
