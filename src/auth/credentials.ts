import { teamSuspended, unauthenticated } from '../errors.ts';
import type { AccessTokens } from './access-token.ts';
import { CSRF_COOKIE, type CsrfTokens } from './csrf.ts';
import type { Viewer } from './viewer.ts';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';

/** What a request or a WebSocket connection presented, before any of it is checked. */
export type PresentedCredentials = {
  authorization?: string | null;
  apiKey?: string | null;
  cookies?: Record<string, string>;
  csrfHeader?: string | null;
};

type ApiKeyAuthenticator = { authenticate(key: string): Promise<Viewer> };
type SessionRevocations = { isSessionRevoked(sessionId: string): boolean };
type Suspensions = { has(tenantId: string): boolean };

/**
 * Resolves the viewer from, in order: `X-API-Key`, `Authorization: Bearer` (an `sk_` key or an
 * access JWT), the `access_token` cookie. Cookies are credentials a browser sends on its own,
 * so a cookie request must also echo its session's CSRF token in `X-CSRF-Token` (csrf.ts).
 * Returns null when nothing was presented; throws UNAUTHENTICATED when something was, but is bad,
 * and TEAM_SUSPENDED when it is good but its team is suspended.
 */
export class CredentialResolver {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly revocations: SessionRevocations,
    private readonly csrf: CsrfTokens,
    private readonly suspendedTeams: Suspensions,
  ) {}

  async resolve(presented: PresentedCredentials): Promise<Viewer | null> {
    const viewer = await this.viewerOf(presented);
    if (viewer && this.suspendedTeams.has(viewer.tenantId)) throw teamSuspended();
    return viewer;
  }

  private async viewerOf(presented: PresentedCredentials): Promise<Viewer | null> {
    if (presented.apiKey) return this.apiKeys.authenticate(presented.apiKey.trim());
    if (presented.authorization) return this.fromBearer(presented.authorization);
    const cookieToken = presented.cookies?.[ACCESS_COOKIE];
    if (cookieToken) {
      const viewer = await this.fromToken(cookieToken);
      if (viewer.credential.kind !== 'session') throw unauthenticated('The access_token cookie must hold an access token');
      this.csrf.assert(viewer.credential.sessionId, { cookie: presented.cookies?.[CSRF_COOKIE], header: presented.csrfHeader });
      return viewer;
    }
    return null;
  }

  private fromBearer(header: string): Promise<Viewer> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated('Authorization header must be "Bearer <token>"');
    return this.fromToken(match[1]!);
  }

  private async fromToken(token: string): Promise<Viewer> {
    if (token.startsWith('sk_')) return this.apiKeys.authenticate(token);
    const claims = await this.accessTokens.verify(token);
    if (this.revocations.isSessionRevoked(claims.sessionId)) throw unauthenticated('This session has ended: sign in again');
    return {
      tenantId: claims.tenantId,
      userId: claims.userId,
      role: claims.role,
      credential: { kind: 'session', sessionId: claims.sessionId, expiresAt: claims.expiresAt },
    };
  }
}
