import { createHmac, timingSafeEqual } from 'node:crypto';
import { forbidden } from '../errors.ts';

export const CSRF_COOKIE = 'csrf_token';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * CSRF tokens for cookie sessions: an HMAC of the session id, so a value planted in a cookie by
 * someone who can write cookies for the API's site is worthless without the server's key. A
 * cookie request must send the token in X-CSRF-Token, equal to the csrf_token cookie (double
 * submit) and to the token of the session its access or refresh cookie belongs to.
 */
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('csrf-token-key').digest();
  }

  forSession(sessionId: string): string {
    return createHmac('sha256', this.key).update(sessionId).digest('base64url');
  }

  assert(sessionId: string, proof: CsrfProof): void {
    const expected = Buffer.from(this.forSession(sessionId));
    const matches = (value: string | null | undefined) =>
      !!value && Buffer.byteLength(value) === expected.length && timingSafeEqual(Buffer.from(value), expected);
    if (!matches(proof.cookie) || !matches(proof.header)) {
      throw forbidden(`Cookie authentication needs the ${CSRF_HEADER} header set to the ${CSRF_COOKIE} cookie`);
    }
  }
}

/** What a cookie request presented to prove it was made by the API's own frontend. */
export type CsrfProof = { cookie: string | null | undefined; header: string | null | undefined };
