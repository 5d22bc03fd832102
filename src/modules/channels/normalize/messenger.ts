import { normalizeMessaging } from './messaging.ts';
import type { NormalizedPayload, SessionAccount } from './payload.ts';

/**
 * Messenger webhooks (`object: "page"`, `entry[].id` the page id, `sender.id` the person's
 * page-scoped id). The shape is the Messenger Platform's, shared with Instagram: see messaging.ts.
 * @see https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
 */
export function normalizeMessenger(body: unknown, session: SessionAccount): NormalizedPayload {
  return normalizeMessaging('page', body, session);
}
