import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs webhook requests with (WhatsApp Cloud API, Messenger, Instagram). */
export const HUB_SIGNATURE_HEADER = 'x-hub-signature-256';
/** The older SHA-1 header, all that some Messenger apps are sent. */
export const HUB_SIGNATURE_SHA1_HEADER = 'x-hub-signature';

/** The signature headers of a request, as Node gives them. */
export type HubSignatures = { sha256: string | string[] | undefined; sha1?: string | string[] | undefined };

const FORMATS = { sha256: /^sha256=([0-9a-f]{64})$/i, sha1: /^sha1=([0-9a-f]{40})$/i };

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as Meta computes it with the app secret. */
export function hubSignature(appSecret: string, body: Uint8Array): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Whether the request carries the app secret's signature of exactly these bytes: its
 * X-Hub-Signature-256, or with `acceptSha1` its X-Hub-Signature (SHA-1) when that is all it
 * carries. A SHA-256 header, when there is one, is the only one checked, so a SHA-1 signature
 * never stands in for a failed SHA-256 one. No secret, no header or a malformed one is a
 * failure; the comparison takes the same time wherever the bytes differ.
 * @see https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
 */
export function verifyHubSignature(
  appSecret: string | null | undefined,
  body: Uint8Array,
  signatures: HubSignatures,
  { acceptSha1 = false }: { acceptSha1?: boolean } = {},
): boolean {
  if (!appSecret) return false;
  if (signatures.sha256 !== undefined || !acceptSha1) return matches('sha256', appSecret, body, signatures.sha256);
  return matches('sha1', appSecret, body, signatures.sha1);
}

function matches(algorithm: keyof typeof FORMATS, appSecret: string, body: Uint8Array, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const match = FORMATS[algorithm].exec(header.trim());
  if (!match) return false;
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), createHmac(algorithm, appSecret).update(body).digest());
}

/**
 * Compares two secrets in constant time whatever their lengths: both are hashed first, so
 * `timingSafeEqual` sees equal-length buffers and the time says nothing about the length either.
 */
export function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
