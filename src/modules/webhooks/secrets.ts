import { randomBytes } from 'node:crypto';

/** Standard Webhooks marks signing secrets with this prefix; the rest is the key, base64. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** How long a secret replaced by rotation keeps signing deliveries beside the new one. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3_600_000;

/** A new signing secret: `whsec_` and the base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}
