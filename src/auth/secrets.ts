import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, URL-safe, with a prefix that tells what the secret is. */
export function generateSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Secrets we only need to recognise are stored as SHA-256; they have full entropy, so no KDF. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
