import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs webhook requests with (WhatsApp Cloud API, Messenger, Instagram). */
export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE_FORMAT = /^sha256=([0-9a-f]{64})$/i;

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as Meta computes it with the app secret. */
export function hubSignature(appSecret: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the app secret's signature of exactly these bytes. No secret, no header
 * or a malformed one is a failure; the comparison takes the same time wherever the bytes differ.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
 */
export function verifyHubSignature(appSecret: string | null | undefined, body: Uint8Array, header: string | string[] | undefined): boolean {
  if (!appSecret || typeof header !== 'string') return false;
  const match = SIGNATURE_FORMAT.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', appSecret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected);
}

/**
 * Compares two secrets in constant time whatever their lengths: both are hashed first, so
 * `timingSafeEqual` sees equal-length buffers and the time says nothing about the length either.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
