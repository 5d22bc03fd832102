import { z } from 'zod';
import type { InboundMessage } from '../contracts.ts';
import { isForSession, parsePayload, type NormalizedPayload, type SessionAccount } from './payload.ts';

/**
 * The Messenger Platform's webhook shape, which Messenger (`object: "page"`) and Instagram
 * messaging (`object: "instagram"`) share: `{object, entry: [{id, time, messaging: [{sender,
 * recipient, timestamp, message: {mid, text, attachments, is_echo}}]}]}`.
 * Messages keep their text; attachments without text are stored as a placeholder such as
 * "[image]"; a postback (a button the person tapped) is stored as the button's title.
 * Echoes (`is_echo`: what the page itself sent), deletions, reads, deliveries and reactions
 * are not messages from the contact and are left out.
 * @see https://developers.facebook.com/docs/messenger-platform/webhooks
 * @see https://developers.facebook.com/docs/instagram-platform/webhooks/examples
 */

const millis = z.number().int().nonnegative().transform((value) => new Date(value));

const event = z.object({
  sender: z.object({ id: z.string().min(1) }),
  recipient: z.object({ id: z.string().min(1) }),
  timestamp: millis.optional(),
  message: z
    .object({
      mid: z.string().min(1),
      text: z.string().optional(),
      is_echo: z.boolean().optional(),
      is_deleted: z.boolean().optional(),
      attachments: z.array(z.object({ type: z.string() })).optional(),
    })
    .optional(),
  postback: z.object({ mid: z.string().min(1).optional(), title: z.string().optional() }).optional(),
});

const payloadOf = (object: 'page' | 'instagram') =>
  z.object({
    object: z.literal(object),
    entry: z.array(z.object({ id: z.string(), time: millis.optional(), messaging: z.array(event).optional() })),
  });

const payloads = { page: payloadOf('page'), instagram: payloadOf('instagram') };

export function normalizeMessaging(object: 'page' | 'instagram', body: unknown, session: SessionAccount): NormalizedPayload {
  const { entry } = parsePayload(payloads[object], body);
  const messages = entry.flatMap((item) =>
    isForSession(session, item.id) ? (item.messaging ?? []).flatMap((sent) => toInbound(sent, item.time) ?? []) : [],
  );
  return { messages, statuses: [] };
}

function toInbound(sent: z.output<typeof event>, entryTime: Date | undefined): InboundMessage | null {
  const occurredAt = sent.timestamp ?? entryTime ?? new Date();
  const from = { externalId: sent.sender.id };
  const { message, postback } = sent;
  if (message && !message.is_echo && !message.is_deleted) {
    return { providerMessageId: message.mid, from, text: textOf(message), occurredAt };
  }
  if (!message && postback?.mid && postback.title) {
    return { providerMessageId: postback.mid, from, text: postback.title, occurredAt };
  }
  return null;
}

function textOf(message: { text?: string; attachments?: { type: string }[] }): string {
  if (message.text) return message.text;
  const types = (message.attachments ?? []).map((attachment) => `[${attachment.type}]`);
  return types.length ? types.join(' ') : '[message]';
}
