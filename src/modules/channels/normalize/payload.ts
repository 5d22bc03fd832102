import type { z } from 'zod';
import type { ChannelSession } from '../../../generated/prisma/client.ts';
import type { InboundMessage } from '../contracts.ts';

/** A delivery report of a message the session sent (WhatsApp `statuses`). */
export type StatusUpdate = {
  providerMessageId: string;
  status: 'SENT' | 'DELIVERED' | 'READ' | 'FAILED';
  occurredAt: Date;
  /** For FAILED: what the provider said went wrong. */
  error: string | null;
};

/** What a provider's webhook payload says, in the channel-neutral terms the inbox stores. */
export type NormalizedPayload = { messages: InboundMessage[]; statuses: StatusUpdate[] };

/** The parts of a session a normaliser reads: its provider id, to leave out events of other numbers or pages. */
export type SessionAccount = Pick<ChannelSession, 'phoneNumberId'>;

/** Turns a parsed JSON body into messages and statuses; throws PayloadError when it is not the documented shape. */
export type Normalizer = (body: unknown, session: SessionAccount) => NormalizedPayload;

/** The body is JSON but not in the provider's documented shape; the message names the first offending path. */
export class PayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadError';
  }
}

/** Parses with zod, turning the first issue into a PayloadError that names its path (below `at`). */
export function parsePayload<Schema extends z.ZodType>(schema: Schema, value: unknown, at?: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [at, ...(issue?.path.map(String) ?? [])].filter(Boolean).join('.') || 'body';
  throw new PayloadError(`${path}: ${issue?.message ?? 'invalid value'}`);
}

/**
 * A provider's JSON body, parsed, with every U+0000 in its strings and keys replaced by U+FFFD:
 * PostgreSQL text and jsonb cannot hold one, which a provider may pass on from a sender, and a
 * payload refused for it would be sent again by the provider for days. JSON can only carry one
 * escaped, so a body without `\u0000` is not walked. Throws SyntaxError when it is not JSON.
 */
export function parseProviderJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  return text.includes('\\u0000') ? cleanPayload(value) : value;
}

/** The value with U+0000 replaced in every string and key, copied only where something changes. */
function cleanPayload(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? cleanText(value) : value;
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const items = value.map(cleanPayload);
    return items.some((item, index) => item !== value[index]) ? items : value;
  }
  const entries = Object.entries(value);
  const cleaned = entries.map(([key, item]) => [cleanText(key), cleanPayload(item)] as const);
  return cleaned.some(([key, item], index) => key !== entries[index]![0] || item !== entries[index]![1]) ? Object.fromEntries(cleaned) : value;
}

const cleanText = (text: string) => text.replaceAll('\u0000', '\uFFFD');

/**
 * Whether an event addressed to `accountId` belongs to this session. A Meta app may send every
 * number's or page's events to each callback URL; a session that names its account keeps only its own.
 */
export function isForSession(session: SessionAccount, accountId: string | undefined): boolean {
  return !session.phoneNumberId || !accountId || session.phoneNumberId === accountId;
}
