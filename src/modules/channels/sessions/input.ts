import { z } from 'zod';
import { badInput } from '../../../errors.ts';
import type { Channel, Prisma } from '../../../generated/prisma/client.ts';
import { displayName, withoutNul } from '../../../validation.ts';

/** The longest text one message may carry on every channel (WhatsApp's limit). */
export const MAX_MESSAGE_CHARS = 4096;
const MAX_ORIGINS = 20;

const channel = z.enum(['WHATSAPP', 'INSTAGRAM', 'MESSENGER', 'WEBSITE'], 'must be WHATSAPP, INSTAGRAM, MESSENGER or WEBSITE');
/** Tokens travel in headers and query strings: printable ASCII without spaces. */
const secret = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const providerId = z.string().trim().regex(/^\d{1,32}$/, "must be the numeric id Meta's dashboard shows");
const e164 = z
  .string()
  .transform((value) => value.replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number, like +14155550123'));
const isLoopbackHost = (hostname: string) => hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';

/** Whether an allowed origin is a plain-http one of this machine, for local development only. */
export const isLocalOrigin = (origin: string) => origin.startsWith('http:');

const origin = z.string().trim().transform((value, context) => {
  try {
    const url = new URL(value);
    const local = url.protocol === 'http:' && isLoopbackHost(url.hostname);
    if ((url.protocol === 'https:' || local) && url.origin === value.replace(/\/$/, '')) return url.origin;
  } catch {
    // reported below
  }
  context.addIssue({
    code: 'custom',
    message: `"${value.slice(0, 100)}" is not an origin like https://example.com (or, outside production, http://localhost:3000)`,
  });
  return z.NEVER;
});
const messageText = withoutNul(z.string().max(MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)).refine(
  (text) => text.trim() !== '',
  'must not be empty',
);

export const createSessionInput = z.object({
  name: displayName(100),
  channel,
  webhook: z.object({ url: z.string(), events: z.array(z.string()).nullish() }).nullish(),
});

const autoReply = z
  .object({
    mode: z.enum(['OFF', 'TEXT', 'AGENT'], 'must be OFF, TEXT or AGENT'),
    text: messageText.nullish(),
    agentId: z.string().nullish(),
  })
  .superRefine((value, context) => {
    const required = (field: 'text' | 'agentId') =>
      context.addIssue({ code: 'custom', path: [field], message: `is required when mode is ${value.mode}` });
    if (value.mode === 'TEXT' && !value.text) required('text');
    if (value.mode === 'AGENT' && !value.agentId) required('agentId');
  });

export const updateSessionInput = z.object({
  name: displayName(100).nullish(),
  phoneNumberId: providerId.nullish(),
  phoneNumber: e164.nullish(),
  accessToken: secret(2048).nullish(),
  appSecret: secret(256).nullish(),
  verifyToken: secret(256).nullish(),
  allowedOrigins: z.array(origin).max(MAX_ORIGINS, `at most ${MAX_ORIGINS} origins`).nullish(),
  autoReply: autoReply.nullish(),
});

export const sendSessionMessageInput = z.object({
  sessionId: z.string(),
  to: withoutNul(z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters')),
  text: messageText,
});

export type CreateSessionInput = z.input<typeof createSessionInput>;
export type UpdateSessionInput = z.input<typeof updateSessionInput>;
export type SendSessionMessageInput = z.input<typeof sendSessionMessageInput>;
type UpdateSession = z.output<typeof updateSessionInput>;

/** The columns an update writes (null clears, omitted keeps), and which input fields it changes, for the audit log. */
export function changesOf(input: UpdateSession): { data: Prisma.ChannelSessionUncheckedUpdateInput; fields: string[] } {
  const { autoReply, name, allowedOrigins, ...provider } = input;
  const settings = { name: name ?? undefined, allowedOrigins: allowedOrigins === null ? [] : allowedOrigins, ...provider };
  const fields = Object.keys(settings).filter((field) => settings[field as keyof typeof settings] !== undefined);
  if (!autoReply) return { data: settings, fields };
  const reply = { autoReplyMode: autoReply.mode, autoReplyText: autoReply.text ?? null, autoReplyAgentId: autoReply.agentId ?? null };
  return { data: { ...settings, ...reply }, fields: [...fields, 'autoReply'] };
}

/** Which update fields a channel takes: the website has no provider, the providers have no allowed origins. */
const fieldsOnlyFor: Partial<Record<keyof UpdateSession, Channel[]>> = {
  phoneNumberId: ['WHATSAPP', 'INSTAGRAM', 'MESSENGER'],
  phoneNumber: ['WHATSAPP'],
  accessToken: ['WHATSAPP', 'INSTAGRAM', 'MESSENGER'],
  appSecret: ['WHATSAPP', 'INSTAGRAM', 'MESSENGER'],
  verifyToken: ['WHATSAPP', 'INSTAGRAM', 'MESSENGER'],
  allowedOrigins: ['WEBSITE'],
};

/** Refuses settings the session's channel has no use for, naming the first such field. */
export function assertFieldsFit(channel: Channel, input: UpdateSession): void {
  for (const [field, channels] of Object.entries(fieldsOnlyFor)) {
    if (input[field as keyof UpdateSession] != null && !channels.includes(channel)) {
      throw badInput(field, `${field}: only ${channels.join(', ')} sessions take it`);
    }
  }
}

/**
 * Who a message goes to: a WhatsApp number (digits, `+` optional, as the Cloud API takes it), the
 * page- or account-scoped user id Messenger and Instagram gave the contact, or a widget visitor id.
 */
export function recipientFor(channel: Channel, to: string): string {
  const rules: Record<Channel, [RegExp, string]> = {
    WHATSAPP: [/^\+?[1-9]\d{6,14}$/, 'must be a phone number in international format, like +14155550123'],
    MESSENGER: [/^\d{1,32}$/, 'must be the numeric user id Messenger gave the contact'],
    INSTAGRAM: [/^\d{1,32}$/, 'must be the numeric user id Instagram gave the contact'],
    WEBSITE: [/^[A-Za-z0-9_-]{8,100}$/, "must be the widget visitor's id"],
  };
  const [pattern, message] = rules[channel];
  if (!pattern.test(to)) throw badInput('to', `to: ${message}`);
  return channel === 'WHATSAPP' ? to.replace(/^\+/, '') : to;
}
