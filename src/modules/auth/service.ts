import { z } from 'zod';
import type { AccessTokens } from '../../auth/access-token.ts';
import { verifyPassword, hashPassword } from '../../auth/password.ts';
import type { FailureCounter } from '../../auth/rate-limiter.ts';
import type { Revocations } from '../../auth/revocations.ts';
import type { Outbox } from '../../events/outbox.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { badInput, rateLimited, unauthenticated } from '../../errors.ts';
import type { Prisma, PrismaClient, User } from '../../generated/prisma/client.ts';
import { displayName, email, parseInput, password, withoutNul } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { TenantsService } from '../tenants/service.ts';
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
};

type Dependencies = {
  prisma: PrismaClient;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  loginFailures: FailureCounter;
  maxLoginFailures: number;
  tenants: TenantsService;
  users: UsersService;
  outbox: Outbox;
  audit: AuditService;
  revocations: Revocations;
};

const INVALID_CREDENTIALS = 'Invalid email or password';

export class AuthService {
  constructor(private readonly deps: Dependencies) {}

  /** Creates a tenant with its first admin and signs them in. */
  async signUp(input: SignUpInput, ip: string | null): Promise<AuthSession> {
    const { tenantName, email, password, fullName } = parseInput(signUpInput, input);
    const passwordHash = await hashPassword(password);
    const { outbox, tenants, users, audit } = this.deps;
    return outbox.transaction(async (unit) => {
      const tenant = await tenants.create(tenantName, unit.tx);
      const user = await users.insert(unit.tx, { tenantId: tenant.id, email, passwordHash, fullName, role: 'ADMIN' });
      const actor = { tenantId: tenant.id, actorType: 'USER', actorId: user.id, ip } as const;
      await audit.write({ ...actor, type: 'TENANT_CREATED', data: { name: tenant.name, slug: tenant.slug } }, unit);
      await audit.write({ ...actor, type: 'USER_CREATED', data: { userId: user.id, email, role: 'ADMIN' } }, unit);
      return this.startSession(unit.tx, user);
    });
  }

  async login(input: LoginInput, ip: string | null): Promise<AuthSession> {
    const { email, password, tenantSlug } = parseInput(loginInput, input);
    const { prisma, loginFailures, maxLoginFailures, audit } = this.deps;
    const limiterKey = `login:${ip ?? 'unknown'}:${email}`;
    // Counted before the password is checked, so parallel guesses cannot all slip under the limit.
    const { attempts, resetInSeconds } = await loginFailures.attempt(limiterKey);
    if (attempts > maxLoginFailures) throw rateLimited(Math.max(resetInSeconds, 1));

    const candidates = await prisma.user.findMany({
      where: { email, ...(tenantSlug ? { tenant: { slug: tenantSlug } } : {}) },
      take: 2,
    });
    if (candidates.length > 1) {
      throw badInput('tenantSlug', 'This email belongs to several teams: give tenantSlug to choose one');
    }
    const user = candidates[0];
    const passwordMatches = await verifyPassword(user?.passwordHash, password);
    if (!user || !passwordMatches || !user.isActive) {
      if (user) {
        const reason = passwordMatches ? 'user_inactive' : 'wrong_password';
        await audit.record({ tenantId: user.tenantId, type: 'LOGIN_FAILED', actorType: 'ANONYMOUS', ip, data: { email, reason } });
      }
      throw unauthenticated(INVALID_CREDENTIALS);
    }

    await loginFailures.reset(limiterKey);
    const session = await prisma.$transaction((tx) => this.startSession(tx, user));
    await audit.record({ tenantId: user.tenantId, type: 'LOGIN_SUCCEEDED', actorType: 'USER', actorId: user.id, ip, data: { email } });
    return session;
  }

  /** Rotates a refresh token. Presenting one that was already rotated revokes its whole family. */
  async refresh(token: string | null | undefined, ip: string | null): Promise<AuthSession> {
    if (!token) throw unauthenticated('A refresh token is required');
    const { prisma, refreshTokens, audit } = this.deps;
    const stored = await refreshTokens.find(token);
    if (!stored) throw unauthenticated('Invalid refresh token');
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
    await this.deps.revocations.announce(stored.tenantId, { sessionId: stored.familyId });
    await audit.record({
      tenantId: stored.tenantId,
      type: 'REFRESH_REUSE_DETECTED',
      actorType: 'ANONYMOUS',
      ip,
      data: { userId: stored.userId, familyId: stored.familyId },
    });
    throw unauthenticated('Refresh token reuse detected: the session was revoked, sign in again');
  }

  /** Ends the viewer's session (its refresh family), or the session a given refresh token belongs to. */
  async logout(viewer: Viewer | null, refreshToken: string | null | undefined, ip: string | null): Promise<boolean> {
    const { refreshTokens, audit } = this.deps;
    const stored = refreshToken ? await refreshTokens.find(refreshToken) : null;
    const target =
      stored ?? (viewer?.credential.kind === 'session' ? { tenantId: viewer.tenantId, familyId: viewer.credential.sessionId, userId: viewer.userId } : null);
    if (!target) return false;
    const revoked = await refreshTokens.revokeFamily(target.tenantId, target.familyId);
    await this.deps.revocations.announce(target.tenantId, { sessionId: target.familyId });
    if (revoked > 0) {
      await audit.record({ tenantId: target.tenantId, type: 'LOGOUT', actorType: 'USER', actorId: target.userId, ip });
    }
    return true;
  }

  private async startSession(tx: Prisma.TransactionClient, user: User, familyId?: string): Promise<AuthSession> {
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
    };
  }
}
