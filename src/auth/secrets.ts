import { createHash, createHmac, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe, with a prefix that tells what the secret is. */
export function generateSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Secrets we only need to recognise are stored as SHA-256; they have full entropy, so no KDF. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * A token derived from a record's id with a server secret, under a label of its own: the same
 * every time (a retried mail carries the same link), stored nowhere but as its hash.
 */
export function derivedToken(prefix: string, secret: string, label: string, id: string): string {
  return prefix + createHmac('sha256', secret).update(`${label}:${id}`).digest('base64url');
}
