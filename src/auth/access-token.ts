import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { unauthenticated } from '../errors.ts';
import { RecentCredentials } from './recent-credentials.ts';

export type Role = 'ADMIN' | 'USER';

export type AccessSubject = { userId: string; tenantId: string; role: Role; sessionId: string };

export type AccessClaims = AccessSubject & { tokenId: string; expiresAt: Date };

const ISSUER = 'convo-graph';
const AUDIENCE = 'convo-graph:api';
const TOKEN_TYPE = 'access';

/** Tokens verified lately: a token's claims never change, so it need not be verified again before it expires. */
const RECENT_TOKENS = 10_000;

/** Short-lived HS256 access tokens; the refresh token is what keeps a session alive. */
export class AccessTokens {
  /**
   * Imported once: given raw bytes, jose imports a WebCrypto key on every sign and verify, which
   * cost about as much as the verification itself.
   */
  private readonly key: Promise<CryptoKey>;
  private readonly verified: RecentCredentials<AccessClaims>;

  constructor(secret: string, private readonly ttlSeconds: number) {
    const raw = new TextEncoder().encode(secret);
    this.key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    this.verified = new RecentCredentials(RECENT_TOKENS, ttlSeconds * 1000);
  }

  async issue(subject: AccessSubject) {
    const expiresAt = new Date(Date.now() + this.ttlSeconds * 1000);
    const token = await new SignJWT({ tid: subject.tenantId, role: subject.role, sid: subject.sessionId, type: TOKEN_TYPE })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(subject.userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await this.key);
    return { token, expiresAt };
  }

  /**
   * Verifies signature, algorithm, issuer, audience, expiry and token type. A token verified
   * lately is only checked for expiry: verifying its HMAC through WebCrypto costs about 120 µs
   * of CPU, more than GraphQL spends on a light query.
   */
  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAt.getTime() <= Date.now()) throw unauthenticated('Access token expired');
      return known;
    }
    const claims = await this.verifySignature(token);
    this.verified.set(token, claims);
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['sub', 'jti', 'exp'],
      });
      const { sub, tid, sid, role, type, jti, exp } = payload;
      if (type !== TOKEN_TYPE || typeof tid !== 'string' || typeof sid !== 'string' || (role !== 'ADMIN' && role !== 'USER')) {
        throw unauthenticated('Not an access token');
      }
      return {
        userId: sub!,
        tenantId: tid,
        role,
        sessionId: sid,
        tokenId: jti!,
        expiresAt: new Date(exp! * 1000),
      };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw unauthenticated('Access token expired');
      if (error instanceof errors.JOSEError) throw unauthenticated('Invalid access token');
      throw error;
    }
  }
}
