import { lockTenant } from '../../db/row-locks.ts';
import { conflict } from '../../errors.ts';
import type { Prisma } from '../../generated/prisma/client.ts';

export type TeamLimitValues = { users: number; channelSessions: number; apiKeys: number };

export type LimitedResource = keyof TeamLimitValues;

const nouns = { users: 'users (active members and open invitations)', channelSessions: 'channel sessions', apiKeys: 'API keys' };

/** What counts against a team's user limit: active members, and invitations still open. */
export async function seatsTaken(tx: Prisma.TransactionClient, tenantId: string): Promise<number> {
  const [members, invitations] = await Promise.all([
    tx.user.count({ where: { tenantId, isActive: true } }),
    tx.invitation.count({ where: { tenantId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } } }),
  ]);
  return members + invitations;
}

/**
 * How much a team may hold: its own limits where an operator set them, the server's settings
 * otherwise. `reserve` counts under a lock on the team, so concurrent creations cannot pass a
 * limit together.
 */
export class TeamLimits {
  constructor(private readonly defaults: TeamLimitValues) {}

  async of(tx: Prisma.TransactionClient, tenantId: string): Promise<TeamLimitValues> {
    const tenant = await tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { maxUsers: true, maxChannelSessions: true, maxApiKeys: true } });
    return this.withDefaults(tenant);
  }

  withDefaults(tenant: { maxUsers: number | null; maxChannelSessions: number | null; maxApiKeys: number | null }): TeamLimitValues {
    return {
      users: tenant.maxUsers ?? this.defaults.users,
      channelSessions: tenant.maxChannelSessions ?? this.defaults.channelSessions,
      apiKeys: tenant.maxApiKeys ?? this.defaults.apiKeys,
    };
  }

  /**
   * In the transaction about to add one of `resource`: locks the team and answers CONFLICT (on
   * `field`) when `count` (what it holds now) has reached its limit.
   */
  async reserve(tx: Prisma.TransactionClient, tenantId: string, resource: LimitedResource, count: () => Promise<number>, field = 'input'): Promise<void> {
    await lockTenant(tx, tenantId);
    const limit = (await this.of(tx, tenantId))[resource];
    if ((await count()) >= limit) {
      throw conflict(field, `This team can have at most ${limit} ${nouns[resource]}; ask the operator to raise the limit, or remove one first`);
    }
  }
}
