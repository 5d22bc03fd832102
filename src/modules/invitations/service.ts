import { z } from 'zod';
import { hashPassword } from '../../auth/password.ts';
import type { AttemptCounter } from '../../auth/rate-limiter.ts';
import { derivedToken, sha256 } from '../../auth/secrets.ts';
import { actorOf, type Viewer } from '../../auth/viewer.ts';
import { uuid7 } from '../../db/uuid7.ts';
import { badInput, conflict, forbidden, notFound, rateLimited, unauthenticated } from '../../errors.ts';
import type { EffectKeys } from '../../events/effect-keys.ts';
import type { Projection } from '../../db/projection.ts';
import type { Invitation, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Mailer } from '../../mail/mailer.ts';
import { displayName, email, parseInput, password } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { AuthService, AuthSession } from '../auth/service.ts';
import type { Outbox } from '../events.ts';
import { seatsTaken, type TeamLimits } from '../tenants/team-limits.ts';
import type { EmailVerifications } from '../users/email-verification.ts';
import type { UsersService } from '../users/service.ts';
import type { InvitationMailRequested } from './events.ts';
import { composeInvitation } from './mail.ts';

const TOKEN_PREFIX = 'inv_';
export const INVITATION_LIFETIME_HOURS = 7 * 24;
export const ACCEPT_INVITATION_PATH = '/accept-invitation';
/** Each invitation may mail an address the team chose: a team sends at most this many an hour. */
export const INVITATIONS_PER_TEAM_PER_HOUR = 50;

const inviteInput = z.object({
  email,
  role: z
    .enum(['ADMIN', 'USER'])
    .nullish()
    .transform((role) => role ?? 'USER'),
});

const acceptInput = z.object({
  token: z.string().trim().min(1, 'must not be empty').max(200),
  password: z.string().max(200, 'must be at most 200 characters').nullish(),
  fullName: displayName(120).nullish(),
});

export type InviteInput = z.input<typeof inviteInput>;
export type AcceptInput = z.input<typeof acceptInput>;

type InvitationProjection = Projection<Prisma.InvitationInclude, Prisma.InvitationSelect>;

export type InvitationStatus = 'PENDING' | 'ACCEPTED' | 'REVOKED' | 'EXPIRED';

export function statusOf(invitation: Pick<Invitation, 'acceptedAt' | 'revokedAt' | 'expiresAt'>, now = new Date()): InvitationStatus {
  if (invitation.acceptedAt) return 'ACCEPTED';
  if (invitation.revokedAt) return 'REVOKED';
  return invitation.expiresAt <= now ? 'EXPIRED' : 'PENDING';
}

const INVALID = 'This invitation is invalid, used, revoked or expired: ask for a new one';

/**
 * Invitations into a team. An admin invites an address with a role; the invitee gets a link that
 * works once, for a week: mailed when the server sends mail, and always in the admin's answer,
 * once. The invitee accepts it with a password chosen now, or signed in as the address's account
 * in another team (the membership then shares its password), and is then a member of both, as
 * sign-in across teams allows.
 *
 * The token is derived from the invitation's id with a server secret, so a retried mail carries
 * the same link, and only its hash is stored.
 */
export class InvitationsService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      audit: AuditService;
      mailer: Mailer;
      effects: EffectKeys;
      teamLimits: TeamLimits;
      users: UsersService;
      auth: AuthService;
      emailVerifications: EmailVerifications;
      /** Counts invitations per team, against mail floods. */
      limiter: AttemptCounter;
      publicUrl: string;
      secret: string;
    },
  ) {}

  /** Invites an address; answers the invitation with its token and link, shown this once. */
  async invite(viewer: Viewer, input: InviteInput) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can invite people');
    const parsed = parseInput(inviteInput, input);
    const { tenantId } = viewer;
    const { attempts, resetInSeconds } = await this.deps.limiter.attempt(`invitations:${tenantId}`, 3600);
    if (attempts > INVITATIONS_PER_TEAM_PER_HOUR) throw rateLimited(Math.max(resetInSeconds, 1));
    const id = uuid7();
    const token = this.tokenFor(id);
    const invitation = await this.deps.outbox.transaction(async (unit) => {
      const { tx } = unit;
      await this.deps.teamLimits.reserve(tx, tenantId, 'users', () => seatsTaken(tx, tenantId), 'email');
      const member = await tx.user.findUnique({ where: { tenantId_email: { tenantId, email: parsed.email } }, select: { isActive: true } });
      if (member) {
        throw conflict('email', member.isActive ? 'This address is already a member of the team' : 'This address is a deactivated member: reactivate them with updateUser');
      }
      const open = await tx.invitation.findFirst({ where: { tenantId, email: parsed.email, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } } });
      if (open) throw conflict('email', 'An invitation to this address is open: revoke it to send another');
      const created = await tx.invitation.create({
        data: {
          id,
          tenantId,
          email: parsed.email,
          role: parsed.role,
          tokenHash: sha256(token),
          invitedById: viewer.userId,
          expiresAt: new Date(Date.now() + INVITATION_LIFETIME_HOURS * 3_600_000),
        },
      });
      const data = { invitationId: id, email: parsed.email, role: parsed.role };
      await this.deps.audit.write({ tenantId, type: 'INVITATION_CREATED', ...actorOf(viewer), data }, unit);
      if (this.deps.mailer.enabled) await unit.emit(tenantId, 'invitation.mail_requested', { invitationId: id, email: parsed.email });
      return created;
    });
    return { invitation, token, acceptUrl: this.linkFor(token), mailed: this.deps.mailer.enabled };
  }

  /** The team's invitations, newest first, in every state. Admins only. */
  list(viewer: Viewer, projection: InvitationProjection = {}) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can list invitations');
    return this.deps.prisma.invitation.findMany({ ...projection, where: { tenantId: viewer.tenantId }, orderBy: { id: 'desc' }, take: 500 });
  }

  async find(viewer: Viewer, id: string, projection: InvitationProjection = {}) {
    const invitation = await this.deps.prisma.invitation.findFirst({ ...projection, where: { id, tenantId: viewer.tenantId } });
    if (!invitation) throw notFound('Invitation');
    return invitation;
  }

  /** Revokes an open invitation: its link stops working. CONFLICT once accepted, revoked or expired. */
  async revoke(viewer: Viewer, id: string, projection: InvitationProjection = {}) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can revoke invitations');
    const { tenantId } = viewer;
    return this.deps.outbox.transaction(async (unit) => {
      const current = await unit.tx.invitation.findFirst({ where: { id, tenantId } });
      if (!current) throw notFound('Invitation');
      const status = statusOf(current);
      if (status !== 'PENDING') throw conflict('id', `This invitation is ${status.toLowerCase()} and can no longer be revoked`);
      // Guarded like acceptance, so that a revocation racing it cannot mark an accepted invitation revoked.
      const now = new Date();
      const { count } = await unit.tx.invitation.updateMany({ where: { id, acceptedAt: null, revokedAt: null, expiresAt: { gt: now } }, data: { revokedAt: now } });
      if (count !== 1) throw conflict('id', 'This invitation was accepted or expired meanwhile and can no longer be revoked');
      const revoked = await unit.tx.invitation.findUniqueOrThrow({ ...projection, where: { id } });
      await this.deps.audit.write({ tenantId, type: 'INVITATION_REVOKED', ...actorOf(viewer), data: { invitationId: id, email: current.email } }, unit);
      return revoked;
    });
  }

  /** What an invitation is for, read with its token, so the invitee's page can say it; null when it cannot be accepted. */
  async preview(token: string) {
    const invitation = await this.deps.prisma.invitation.findUnique({ where: { tokenHash: sha256(token.trim()) }, include: { tenant: { select: { name: true } } } });
    if (!invitation || statusOf(invitation) !== 'PENDING') return null;
    return { email: invitation.email, role: invitation.role, teamName: invitation.tenant.name, expiresAt: invitation.expiresAt };
  }

  /** Accepts an invitation and signs the new member in to the team (see `passwordHashFor`). */
  async accept(viewer: Viewer | null, input: AcceptInput): Promise<AuthSession> {
    const parsed = parseInput(acceptInput, input);
    const invitation = await this.deps.prisma.invitation.findUnique({ where: { tokenHash: sha256(parsed.token) } });
    if (!invitation || statusOf(invitation) !== 'PENDING') throw unauthenticated(INVALID);
    const passwordHash = await this.passwordHashFor(invitation, viewer, parsed.password);
    const { tenantId } = invitation;
    return this.deps.outbox.transaction(async (unit) => {
      const { tx } = unit;
      const { count } = await tx.invitation.updateMany({
        where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
        data: { acceptedAt: new Date() },
      });
      // No limit check: the invitation held its seat from the start, and a limit lowered since removes nothing.
      if (count !== 1) throw unauthenticated(INVALID);
      const user = await this.deps.users.insert(tx, { tenantId, email: invitation.email, passwordHash, fullName: parsed.fullName, role: invitation.role });
      await tx.invitation.update({ where: { id: invitation.id }, data: { acceptedUserId: user.id } });
      const data = { invitationId: invitation.id, userId: user.id, email: user.email, role: user.role };
      await this.deps.audit.write({ tenantId, type: 'INVITATION_ACCEPTED', actorType: 'USER', actorId: user.id, data }, unit);
      // The link may have been handed over rather than mailed: the address is proven as any other's.
      await this.deps.emailVerifications.request(unit, user);
      return this.deps.auth.startSession(tx, user);
    });
  }

  /** Mails the link of an invitation still open, unless it went out already; throws when the mail server refused it. */
  async mailLink({ invitationId }: InvitationMailRequested): Promise<void> {
    const invitation = await this.deps.prisma.invitation.findUnique({ where: { id: invitationId }, include: { tenant: { select: { name: true } } } });
    if (!invitation || statusOf(invitation) !== 'PENDING') return;
    const token = this.tokenFor(invitationId);
    // JWT_SECRET changed since the invitation: a link derived now would not work (the admin's copy still does), so none is mailed.
    if (sha256(token) !== invitation.tokenHash) return;
    await this.deps.effects.once(`invitation-mail:${invitationId}`, async () => {
      const mail = composeInvitation({ to: invitation.email, teamName: invitation.tenant.name, role: invitation.role, link: this.linkFor(token), token, lifetimeHours: INVITATION_LIFETIME_HOURS });
      await this.deps.mailer.deliver(mail, { invitationId, mail: 'invitation' });
      return null;
    });
  }

  /**
   * The new member's password: their signed-in account's, when it is the invited address's, or
   * the one they choose now. The token never unlocks a check of another account's password: that
   * would let whoever invites an address guess its password, or learn that it has an account.
   */
  private async passwordHashFor(invitation: Invitation, viewer: Viewer | null, given: string | null | undefined): Promise<string> {
    if (viewer?.credential.kind === 'session') {
      const account = await this.deps.prisma.user.findUnique({ where: { id: viewer.userId } });
      if (account?.email === invitation.email) return account.passwordHash;
    }
    if (!given) throw badInput('password', 'password: choose a password, or sign in as the invited address first');
    return hashPassword(parseInput(z.object({ password }), { password: given }).password);
  }

  private tokenFor(invitationId: string): string {
    return derivedToken(TOKEN_PREFIX, this.deps.secret, 'invitation', invitationId);
  }

  private linkFor(token: string): string {
    return `${this.deps.publicUrl}${ACCEPT_INVITATION_PATH}?token=${encodeURIComponent(token)}`;
  }
}
