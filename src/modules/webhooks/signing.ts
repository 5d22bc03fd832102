import { createHmac } from 'node:crypto';
import { WEBHOOK_SECRET_PREFIX } from './secrets.ts';

/** The secrets an endpoint signs with: the current one, and the one it replaced while that is still valid. */
export type SigningSecrets = {
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
};

export type SignedRequest = {
  /** The `webhook-id`: the event's id, the same on every attempt. */
  id: string;
  eventType: string;
  /** 1-based. */
  attempt: number;
  body: string;
  /** When this attempt is made. */
  at: Date;
};

/** `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}`, keyed with the bytes behind `whsec_`. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The headers of one attempt, per Standard Webhooks (https://www.standardwebhooks.com/); the
 * outbound client adds User-Agent. While a rotated-out secret is still valid both signatures go
 * out, so receivers can switch at leisure.
 */
export function webhookHeaders(secrets: SigningSecrets, request: SignedRequest): Record<string, string> {
  const timestamp = Math.floor(request.at.getTime() / 1000);
  const keys = [secrets.secret];
  if (secrets.previousSecret && secrets.previousSecretExpiresAt && secrets.previousSecretExpiresAt > request.at) {
    keys.push(secrets.previousSecret);
  }
  return {
    'content-type': 'application/json',
    'webhook-id': request.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': keys.map((key) => signature(key, request.id, timestamp, request.body)).join(' '),
    'x-webhook-event': request.eventType,
    'x-webhook-id': request.id,
    'x-webhook-attempt': String(request.attempt),
  };
}

/** How much of each signature the delivery console shows: enough to tell signatures apart, too little to forge one. */
const SHOWN_SIGNATURE_CHARACTERS = 8;

/** The headers of an attempt as they are kept: each signature in `webhook-signature` cut to its first characters. */
export function redactedHeaders(headers: Record<string, string>): Record<string, string> {
  const signatures = headers['webhook-signature'];
  if (!signatures) return headers;
  const redacted = signatures
    .split(' ')
    .map((entry) => `${entry.slice(0, entry.indexOf(',') + 1 + SHOWN_SIGNATURE_CHARACTERS)}…`)
    .join(' ');
  return { ...headers, 'webhook-signature': redacted };
}
