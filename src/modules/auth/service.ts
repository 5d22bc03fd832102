import { z } from 'zod';
import type { AccessTokens } from '../../auth/access-token.ts';
import type { CsrfProof, CsrfTokens } from '../../auth/csrf.ts';
import { verifyPassword, hashPassword } from '../../auth/password.ts';
import type { AttemptCounter } from '../../auth/rate-limiter.ts';
import type { Config } from '../../config.ts';
import type { Revocations } from '../../auth/revocations.ts';
import type { Outbox } from '../events.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { badInput, forbidden, rateLimited, teamSuspended, unauthenticated } from '../../errors.ts';
import type { Prisma, PrismaClient, User } from '../../generated/prisma/client.ts';
import { displayName, email, parseInput, password, withoutNul } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenantsService } from '../tenants/service.ts';
import type { EmailVerifications } from '../users/email-verification.ts';
import type { UsersService } from '../users/service.ts';
import type { RefreshTokens } from './refresh-tokens.ts';

const signUpInput = z.object({
  tenantName: displayName(100),
  email,
  password,
  fullName: displayName(120).nullish(),
});

const loginInput = z.object({
  email,
  password: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  tenantSlug: withoutNul(z.string().trim().min(1, 'must not be empty').max(60)).nullish(),
});

export type SignUpInput = z.input<typeof signUpInput>;
export type LoginInput = z.input<typeof loginInput>;

export type AuthSession = {
  user: User;
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  /** The session's CSRF token (csrf.ts), for the csrf_token cookie. */
  csrfToken: string;
};

type Dependencies = {
  prisma: PrismaClient;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  limits: AttemptCounter;
  limitSettings: Config['limits'];
  tenants: TenantsService;
  users: UsersService;
  outbox: Outbox;
  audit: AuditService;
  revocations: Revocations;
  emailVerifications: EmailVerifications;
  csrf: CsrfTokens;
  suspendedTeams: { has(tenantId: string): boolean };
};

const INVALID_CREDENTIALS = 'Invalid email or password';
/** Accounts one email may hold across teams that a sign-in considers. */
const MAX_ACCOUNTS_PER_EMAIL = 20;

/** The candidates whose password matches; a miss costs as long as a check, so timing tells nothing. */
async function accountsWithPassword(candidates: User[], password: string): Promise<User[]> {
  if (candidates.length === 0) {
    await verifyPassword(undefined, password);
    return [];
  }
  const checks = await Promise.all(candidates.map((user) => verifyPassword(user.passwordHash, password)));
  return candidates.filter((_, index) => checks[index]);
}

export class AuthService {
  constructor(private readonly deps: Dependencies) {}

  /** Creates a tenant with its first admin and signs them in. Limited per address (SIGNUPS_PER_ADDRESS_PER_HOUR). */
  async signUp(input: SignUpInput, ip: string | null): Promise<AuthSession> {
    const { tenantName, email, password, fullName } = parseInput(signUpInput, input);
    const { outbox, tenants, users, audit, limits, limitSettings, emailVerifications } = this.deps;
    const { attempts, resetInSeconds } = await limits.attempt(`signup:${ip ?? 'unknown'}`, 3600);
    if (attempts > limitSettings.signUpsPerAddressPerHour) throw rateLimited(Math.max(resetInSeconds, 1));
    const passwordHash = await hashPassword(password);
    return outbox.transaction(async (unit) => {
      const tenant = await tenants.create(tenantName, unit.tx);
      const user = await users.insert(unit.tx, { tenantId: tenant.id, email, passwordHash, fullName, role: 'ADMIN' });
      const actor = { tenantId: tenant.id, actorType: 'USER', actorId: user.id, ip } as const;
      await audit.write({ ...actor, type: 'TENANT_CREATED', data: { name: tenant.name, slug: tenant.slug } }, unit);
      await audit.write({ ...actor, type: 'USER_CREATED', data: { userId: user.id, email, role: 'ADMIN' } }, unit);
      await emailVerifications.request(unit, user);
      return this.startSession(unit.tx, user);
    });
  }

  /**
   * Signs in. Without `tenantSlug`, only the accounts of the email whose password matches are
   * considered, so the several-teams answer never tells an unauthenticated caller anything, and
   * an account made with someone else's address cannot block their sign-in. When email
   * verification is in use (SMTP_URL), verified accounts win over unverified ones.
   */
  async login(input: LoginInput, ip: string | null): Promise<AuthSession> {
    const { email, password, tenantSlug } = parseInput(loginInput, input);
    const { prisma, limits, audit } = this.deps;
    const keys = await this.countLoginAttempt(email, ip);

    const candidates = await prisma.user.findMany({
      where: { email, ...(tenantSlug ? { tenant: { slug: tenantSlug } } : {}) },
      take: MAX_ACCOUNTS_PER_EMAIL,
      orderBy: { id: 'asc' },
    });
    const matching = await accountsWithPassword(candidates, password);
    const verified = this.deps.emailVerifications.required ? matching.filter((user) => user.emailVerifiedAt) : [];
    const eligible = verified.length > 0 ? verified : matching;
    if (eligible.length > 1) {
      throw badInput('tenantSlug', 'This email and password sign in to several teams: give tenantSlug to choose one');
    }
    const user = eligible[0];
    if (!user || !user.isActive) {
      const failed = user ? [{ user, reason: 'user_inactive' }] : candidates.map((candidate) => ({ user: candidate, reason: 'wrong_password' }));
      for (const { user: account, reason } of failed) {
        await audit.record({ tenantId: account.tenantId, type: 'LOGIN_FAILED', actorType: 'ANONYMOUS', ip, data: { email, reason } });
      }
      throw unauthenticated(INVALID_CREDENTIALS);
    }

    await Promise.all([limits.reset(keys.perEmail), limits.forgive(keys.perAddress)]);
    const session = await prisma.$transaction(async (tx) => {
      // Still active as the session starts: a deactivation committed since the read above wins.
      const { count } = await tx.user.updateMany({ where: { id: user.id, isActive: true }, data: { lastLoginAt: new Date() } });
      if (count !== 1) throw unauthenticated(INVALID_CREDENTIALS);
      return this.startSession(tx, await tx.user.findUniqueOrThrow({ where: { id: user.id } }));
    });
    await audit.record({ tenantId: user.tenantId, type: 'LOGIN_SUCCEEDED', actorType: 'USER', actorId: user.id, ip, data: { email } });
    return session;
  }

  /**
   * Counts a sign-in attempt per email and address, and per address whatever the email, before
   * any password is checked, so that parallel guesses cannot all slip under the limits.
   */
  private async countLoginAttempt(email: string, ip: string | null) {
    const { limits, limitSettings } = this.deps;
    const address = ip ?? 'unknown';
    const keys = { perEmail: `login:${address}:${email}`, perAddress: `login-address:${address}` };
    const [perEmail, perAddress] = await Promise.all([limits.attempt(keys.perEmail, 60), limits.attempt(keys.perAddress, 60)]);
    const exceeded = [
      { counted: perEmail, max: limitSettings.loginFailuresPerEmail },
      { counted: perAddress, max: limitSettings.loginFailuresPerAddress },
    ].filter(({ counted, max }) => counted.attempts > max);
    if (exceeded.length > 0) throw rateLimited(Math.max(1, ...exceeded.map(({ counted }) => counted.resetInSeconds)));
    return keys;
  }

  /**
   * Rotates a refresh token. Presenting one that was already rotated revokes its whole family.
   * A token taken from the cookie comes with the request's CSRF proof, checked against its session.
   */
  async refresh(token: string | null | undefined, ip: string | null, csrf?: CsrfProof): Promise<AuthSession> {
    if (!token) throw unauthenticated('A refresh token is required');
    const { prisma, refreshTokens, audit } = this.deps;
    const stored = await refreshTokens.find(token);
    if (!stored) throw unauthenticated('Invalid refresh token');
    if (csrf) this.deps.csrf.assert(stored.familyId, csrf);
    if (stored.revokedAt) throw unauthenticated('Refresh token revoked');
    if (stored.expiresAt <= new Date()) throw unauthenticated('Refresh token expired');

    const session = await prisma.$transaction(async (tx) => {
      if (!(await refreshTokens.claim(tx, stored.id))) return null;
      const user = await tx.user.findUnique({ where: { id: stored.userId } });
      if (!user?.isActive) throw unauthenticated('User is deactivated');
      return this.startSession(tx, user, stored.familyId);
    });
    if (session) return session;

    await refreshTokens.revokeFamily(stored.tenantId, stored.familyId);
    await this.deps.revocations.announce({ tenantId: stored.tenantId, sessionId: stored.familyId, effect: 'revoked' });
    await audit.record({
      tenantId: stored.tenantId,
      type: 'REFRESH_REUSE_DETECTED',
      actorType: 'ANONYMOUS',
      ip,
      data: { userId: stored.userId, familyId: stored.familyId },
    });
    throw unauthenticated('Refresh token reuse detected: the session was revoked, sign in again');
  }

  /**
   * Ends the viewer's session (its refresh family), or, for a caller not signed in, the session a
   * given refresh token belongs to (holding it proves the session is theirs). A signed-in caller
   * may name only its own session's refresh token.
   */
  async logout(viewer: Viewer | null, refreshToken: string | null | undefined, ip: string | null, csrf?: CsrfProof): Promise<boolean> {
    const { refreshTokens, audit } = this.deps;
    const stored = refreshToken ? await refreshTokens.find(refreshToken) : null;
    if (stored && csrf) this.deps.csrf.assert(stored.familyId, csrf);
    const own = viewer?.credential.kind === 'session' ? { tenantId: viewer.tenantId, familyId: viewer.credential.sessionId, userId: viewer.userId } : null;
    if (viewer && refreshToken && !(own && stored?.tenantId === own.tenantId && stored.familyId === own.familyId)) {
      throw forbidden('A signed-in caller can only end its own session');
    }
    const target = stored ?? own;
    if (!target) return false;
    const revoked = await refreshTokens.revokeFamily(target.tenantId, target.familyId);
    await this.deps.revocations.announce({ tenantId: target.tenantId, sessionId: target.familyId, effect: 'revoked' });
    if (revoked > 0) {
      await audit.record({ tenantId: target.tenantId, type: 'LOGOUT', actorType: 'USER', actorId: target.userId, ip });
    }
    return true;
  }

  /** Starts a sign-in session for `user` (or, with `familyId`, its next token); refused while the team is suspended. */
  async startSession(tx: Prisma.TransactionClient, user: User, familyId?: string): Promise<AuthSession> {
    if (this.deps.suspendedTeams.has(user.tenantId)) throw teamSuspended();
    const refresh = await this.deps.refreshTokens.issue(tx, { tenantId: user.tenantId, userId: user.id }, familyId);
    const access = await this.deps.accessTokens.issue({
      userId: user.id,
      tenantId: user.tenantId,
      role: user.role,
      sessionId: refresh.familyId,
    });
    return {
      user,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refresh.expiresAt,
      csrfToken: this.deps.csrf.forSession(refresh.familyId),
    };
  }
}
