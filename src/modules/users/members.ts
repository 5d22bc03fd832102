import { z } from 'zod';
import type { Revocation, Revocations } from '../../auth/revocations.ts';
import { actorOf, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { lockTenant } from '../../db/row-locks.ts';
import { conflict, forbidden, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { parseInput } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../events.ts';
import { seatsTaken, type TeamLimits } from '../tenants/team-limits.ts';

const updateInput = z.object({
  role: z.enum(['ADMIN', 'USER']).nullish(),
  isActive: z.boolean().nullish(),
});

export type UpdateUserInput = z.input<typeof updateInput>;

type UserProjection = Projection<Prisma.UserInclude, Prisma.UserSelect>;

/**
 * An admin's changes to a member: role and active state. The team always keeps an active admin.
 * Taking rights away takes effect at once on every instance: a deactivated member's sessions end,
 * their API keys are deactivated and their connections close; a demoted member's sessions end (an
 * access token carries its role) and their keys' connections reconnect with what they hold now.
 * Either way, the invitations they sent that are still open are revoked, and the API keys of the
 * channel sessions they set up pass to the admin who made the change.
 */
export class Members {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      audit: AuditService;
      revocations: Revocations;
      teamLimits: TeamLimits;
    },
  ) {}

  async update(viewer: Viewer, id: string, input: UpdateUserInput, projection: UserProjection = {}) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can change users');
    const parsed = parseInput(updateInput, input);
    const { tenantId } = viewer;
    const { user, revoked } = await this.deps.outbox.transaction(async (unit) => {
      const { tx } = unit;
      // Serialises changes within the team, so two admins demoting each other cannot both pass the last-admin check.
      await lockTenant(tx, tenantId);
      const current = await tx.user.findFirst({ where: { id, tenantId } });
      if (!current) throw notFound('User');
      const role = parsed.role ?? current.role;
      const isActive = parsed.isActive ?? current.isActive;
      const fields = [...(role !== current.role ? ['role'] : []), ...(isActive !== current.isActive ? ['isActive'] : [])];
      if (fields.length === 0) return { user: await tx.user.findUniqueOrThrow({ ...projection, where: { id } }), revoked: [] };

      const losesAdmin = current.role === 'ADMIN' && current.isActive && (role !== 'ADMIN' || !isActive);
      if (losesAdmin && (await tx.user.count({ where: { tenantId, role: 'ADMIN', isActive: true, id: { not: id } } })) === 0) {
        throw conflict(isActive ? 'role' : 'isActive', "The team's last active admin can be neither demoted nor deactivated: make another member admin first");
      }
      if (isActive && !current.isActive) await this.deps.teamLimits.reserve(tx, tenantId, 'users', () => seatsTaken(tx, tenantId), 'isActive');

      const updated = await tx.user.update({ ...projection, where: { id }, data: { role, isActive } });
      const deactivated = !isActive && current.isActive;
      const demoted = role === 'USER' && current.role === 'ADMIN';
      const revoked = [
        ...(deactivated || demoted ? await this.endSessions(tx, tenantId, id) : []),
        ...(deactivated ? await this.deactivateKeys(tx, tenantId, id) : demoted ? await this.narrowKeys(tx, tenantId, id) : []),
        ...(deactivated || demoted ? await this.handOverSessionKeys(tx, tenantId, id, await this.heirOf(tx, tenantId, id, viewer.userId)) : []),
      ];
      const revokedInvitations = deactivated || demoted ? await this.revokeInvitationsBy(tx, tenantId, id) : 0;
      const type = deactivated ? 'USER_DEACTIVATED' : isActive && !current.isActive ? 'USER_REACTIVATED' : 'USER_UPDATED';
      const endedSessions = revoked.filter((revocation) => revocation.sessionId).length;
      const data = { userId: id, email: current.email, fields, role, isActive, endedSessions, revokedInvitations };
      await this.deps.audit.write({ tenantId, type, ...actorOf(viewer), data }, unit);
      return { user: updated, revoked };
    });
    await Promise.all(revoked.map((revocation) => this.deps.revocations.announce(revocation)));
    return user;
  }

  /** Revokes every live refresh token of the user: their sign-in sessions end, access tokens included. */
  private async endSessions(tx: Prisma.TransactionClient, tenantId: string, userId: string): Promise<Revocation[]> {
    const open = await tx.refreshToken.findMany({ where: { tenantId, userId, revokedAt: null }, select: { familyId: true }, distinct: ['familyId'] });
    await tx.refreshToken.updateMany({ where: { tenantId, userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return open.map(({ familyId }) => ({ tenantId, sessionId: familyId, effect: 'revoked' }));
  }

  /** Deactivates the user's own active API keys; reactivating the user leaves them deactivated. */
  private async deactivateKeys(tx: Prisma.TransactionClient, tenantId: string, userId: string): Promise<Revocation[]> {
    const own = { tenantId, createdById: userId, isActive: true, sessionId: null };
    const keys = await tx.apiKey.findMany({ where: own, select: { id: true } });
    await tx.apiKey.updateMany({ where: own, data: { isActive: false } });
    return keys.map(({ id }) => ({ tenantId, apiKeyId: id, effect: 'revoked' }));
  }

  /** The user's own keys keep working with what the new role allows: connections made with them reconnect. */
  private async narrowKeys(tx: Prisma.TransactionClient, tenantId: string, userId: string): Promise<Revocation[]> {
    const keys = await tx.apiKey.findMany({ where: { tenantId, createdById: userId, isActive: true, sessionId: null }, select: { id: true } });
    return keys.map(({ id }) => ({ tenantId, apiKeyId: id, effect: 'narrowed' }));
  }

  /**
   * A channel session's API key acts with its creator's rights; the sessions a member set up keep
   * working when they lose theirs, their keys now held by the admin who made the change.
   */
  private async handOverSessionKeys(tx: Prisma.TransactionClient, tenantId: string, userId: string, adminId: string): Promise<Revocation[]> {
    const keys = await tx.apiKey.findMany({ where: { tenantId, createdById: userId, sessionId: { not: null } }, select: { id: true } });
    await tx.apiKey.updateMany({ where: { tenantId, createdById: userId, sessionId: { not: null } }, data: { createdById: adminId } });
    // Not a loss of rights: announced so that every instance reads the key's new holder at once.
    return keys.map(({ id }) => ({ tenantId, apiKeyId: id, effect: 'narrowed' }));
  }

  /** Who takes over a member's session keys: the admin making the change, or, when that is the member themselves, the team's oldest other active admin. */
  private async heirOf(tx: Prisma.TransactionClient, tenantId: string, userId: string, actingUserId: string): Promise<string> {
    if (actingUserId !== userId) return actingUserId;
    const other = await tx.user.findFirstOrThrow({ where: { tenantId, role: 'ADMIN', isActive: true, id: { not: userId } }, orderBy: { id: 'asc' }, select: { id: true } });
    return other.id;
  }

  /** Invitations the user sent that are still open: an admin on their way out cannot leave a way back in. */
  private async revokeInvitationsBy(tx: Prisma.TransactionClient, tenantId: string, userId: string): Promise<number> {
    const now = new Date();
    const { count } = await tx.invitation.updateMany({
      where: { tenantId, invitedById: userId, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } },
      data: { revokedAt: now },
    });
    return count;
  }
}
