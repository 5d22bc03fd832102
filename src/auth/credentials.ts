import { timingSafeEqual } from 'node:crypto';
import { forbidden, unauthenticated } from '../errors.ts';
import type { AccessTokens } from './access-token.ts';
import type { Viewer } from './viewer.ts';

export const ACCESS_COOKIE = 'access_token';
export const REFRESH_COOKIE = 'refresh_token';
export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';

/** What a request or a WebSocket connection presented, before any of it is checked. */
export type PresentedCredentials = {
  authorization?: string | null;
  apiKey?: string | null;
  cookies?: Record<string, string>;
  csrfHeader?: string | null;
};

type ApiKeyAuthenticator = { authenticate(key: string): Promise<Viewer> };

/**
 * Resolves the viewer from, in order: `X-API-Key`, `Authorization: Bearer` (an `sk_` key or an
 * access JWT), the `access_token` cookie. Cookies are credentials a browser sends on its own,
 * so a cookie request must also echo the `csrf_token` cookie in `X-CSRF-Token` (double submit).
 * Returns null when nothing was presented; throws UNAUTHENTICATED when something was, but is bad.
 */
export class CredentialResolver {
  constructor(
    private readonly accessTokens: AccessTokens,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {}

  async resolve(presented: PresentedCredentials): Promise<Viewer | null> {
    if (presented.apiKey) return this.apiKeys.authenticate(presented.apiKey.trim());
    if (presented.authorization) return this.fromBearer(presented.authorization);
    const cookieToken = presented.cookies?.[ACCESS_COOKIE];
    if (cookieToken) {
      assertCsrf(presented.cookies?.[CSRF_COOKIE], presented.csrfHeader);
      return this.fromToken(cookieToken);
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
    return {
      tenantId: claims.tenantId,
      userId: claims.userId,
      role: claims.role,
      credential: { kind: 'session', sessionId: claims.sessionId, expiresAt: claims.expiresAt },
    };
  }
}

export function assertCsrf(cookieValue: string | undefined, headerValue: string | null | undefined) {
  const valid =
    !!cookieValue &&
    !!headerValue &&
    cookieValue.length === headerValue.length &&
    timingSafeEqual(Buffer.from(cookieValue), Buffer.from(headerValue));
  if (!valid) throw forbidden(`Cookie authentication needs the ${CSRF_HEADER} header set to the ${CSRF_COOKIE} cookie`);
}
