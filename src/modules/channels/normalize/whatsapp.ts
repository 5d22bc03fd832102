import { z } from 'zod';
import type { InboundMessage } from '../contracts.ts';
import { isForSession, parsePayload, type NormalizedPayload, type SessionAccount, type StatusUpdate } from './payload.ts';

/**
 * WhatsApp Cloud API webhooks: `{object: "whatsapp_business_account", entry: [{id, changes:
 * [{field: "messages", value: {metadata, contacts, messages, statuses}}]}]}`.
 * Text messages keep their body; buttons and interactive replies their title; media, locations
 * and other types are stored as a placeholder such as "[image]" (followed by the caption, if
 * any), so that a conversation never silently misses a turn. Reactions and system notices
 * are not messages of the conversation and are left out.
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
 */

const unixSeconds = z
  .union([z.string().regex(/^\d{1,12}$/, 'must be unix seconds'), z.number().int().nonnegative()])
  .transform((value) => new Date(Number(value) * 1000));

const message = z.looseObject({
  from: z.string().min(1),
  id: z.string().min(1),
  timestamp: unixSeconds,
  type: z.string().min(1),
  text: z.object({ body: z.string() }).optional(),
  button: z.object({ text: z.string() }).optional(),
  interactive: z
    .object({
      button_reply: z.object({ title: z.string() }).optional(),
      list_reply: z.object({ title: z.string() }).optional(),
    })
    .optional(),
});

const status = z.object({
  id: z.string().min(1),
  status: z.enum(['sent', 'delivered', 'read', 'failed']),
  timestamp: unixSeconds,
  recipient_id: z.string().optional(),
  errors: z.array(z.object({ code: z.number().optional(), title: z.string().optional(), message: z.string().optional() })).optional(),
});

const messagesValue = z.object({
  messaging_product: z.literal('whatsapp'),
  metadata: z.object({ phone_number_id: z.string().min(1), display_phone_number: z.string().optional() }),
  contacts: z.array(z.object({ wa_id: z.string().min(1), profile: z.object({ name: z.string() }).partial().optional() })).optional(),
  messages: z.array(message).optional(),
  statuses: z.array(status).optional(),
});

const payload = z.object({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(
    z.object({
      id: z.string(),
      changes: z.array(z.object({ field: z.string(), value: z.unknown() })),
    }),
  ),
});

/** Types that are not a turn of the conversation. */
const IGNORED_TYPES = new Set(['reaction', 'system', 'ephemeral']);

export function normalizeWhatsApp(body: unknown, session: SessionAccount): NormalizedPayload {
  const result: NormalizedPayload = { messages: [], statuses: [] };
  const { entry } = parsePayload(payload, body);
  entry.forEach((item, e) =>
    item.changes.forEach((change, c) => {
      if (change.field !== 'messages') return;
      const value = parsePayload(messagesValue, change.value, `entry.${e}.changes.${c}.value`);
      if (!isForSession(session, value.metadata.phone_number_id)) return;
      const names = new Map((value.contacts ?? []).map((contact) => [contact.wa_id, contact.profile?.name ?? null]));
      for (const sent of value.messages ?? []) {
        if (IGNORED_TYPES.has(sent.type)) continue;
        result.messages.push(toInbound(sent, names.get(sent.from) ?? null));
      }
      result.statuses.push(...(value.statuses ?? []).map(toStatus));
    }),
  );
  return result;
}

function toInbound(sent: z.output<typeof message>, name: string | null): InboundMessage {
  return {
    providerMessageId: sent.id,
    from: { externalId: sent.from, name, phone: `+${sent.from.replace(/^\+/, '')}` },
    text: textOf(sent),
    occurredAt: sent.timestamp,
  };
}

function textOf(sent: z.output<typeof message>): string {
  if (sent.type === 'text' && sent.text) return sent.text.body;
  if (sent.type === 'button' && sent.button) return sent.button.text;
  const reply = sent.interactive?.button_reply ?? sent.interactive?.list_reply;
  if (sent.type === 'interactive' && reply) return reply.title;
  const details = sent[sent.type] as { caption?: unknown } | undefined;
  const caption = typeof details?.caption === 'string' && details.caption ? ` ${details.caption}` : '';
  return `[${sent.type}]${caption}`;
}

function toStatus(report: z.output<typeof status>): StatusUpdate {
  const problem = report.errors?.[0];
  return {
    providerMessageId: report.id,
    status: report.status === 'sent' ? 'SENT' : report.status === 'delivered' ? 'DELIVERED' : report.status === 'read' ? 'READ' : 'FAILED',
    occurredAt: report.timestamp,
    error: report.status === 'failed' ? (problem?.message ?? problem?.title ?? 'The provider could not deliver the message') : null,
  };
}
