import { normalizeMessaging } from './messaging.ts';
import type { NormalizedPayload, SessionAccount } from './payload.ts';

/**
 * Instagram messaging webhooks (`object: "instagram"`, `entry[].id` the professional account's
 * id, `sender.id` the person's Instagram-scoped id). Messages the account sent itself arrive
 * too, marked `is_echo`, and are left out. The shape is the Messenger Platform's: see messaging.ts.
 * @see https://developers.facebook.com/docs/instagram-platform/webhooks/examples
 */
export function normalizeInstagram(body: unknown, session: SessionAccount): NormalizedPayload {
  return normalizeMessaging('instagram', body, session);
}
