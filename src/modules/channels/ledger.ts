import { uuid7 } from '../../db/uuid7.ts';
import type { UnitOfWork } from '../events.ts';
import {
  Prisma,
  type ChannelContact,
  type ChannelConversation,
  type ChannelMessage,
  type ChannelMessageStatus,
  type ChannelSession,
} from '../../generated/prisma/client.ts';
import type { ContactDetails } from './contracts.ts';
import { conversationEventData, toChannelMessageJson } from './messages.ts';

const CONTACT_COLUMNS = Prisma.sql`id, tenant_id AS "tenantId", session_id AS "sessionId", external_id AS "externalId",
  name, phone, email, created_at AS "createdAt", updated_at AS "updatedAt"`;
/** A conversation row as Prisma names its fields, for raw statements that return conversations. */
export const CONVERSATION_COLUMNS = Prisma.sql`id, tenant_id AS "tenantId", session_id AS "sessionId", contact_id AS "contactId", status,
  last_message_at AS "lastMessageAt", first_response_at AS "firstResponseAt", closed_at AS "closedAt", created_at AS "createdAt"`;

export type OpenConversation = { contact: ChannelContact; conversation: ChannelConversation; created: boolean };

/**
 * Each contact (by the provider's id for them) with what is known of them, and their open
 * conversation, created when missing, with one statement per step however many there are; new
 * conversations emit `conversation.created`. Runs in the caller's transaction. Keyed by the
 * contacts' provider ids; one entry per contact.
 */
export async function openConversations(unit: UnitOfWork, session: ChannelSession, people: ContactDetails[]): Promise<Map<string, OpenConversation>> {
  const { tx, emitAll } = unit;
  const now = Prisma.sql`${new Date()}::timestamp(3)`;
  const details = [...new Map(people.map((person) => [person.externalId, person])).values()].map((person) => ({
    id: uuid7(),
    externalId: person.externalId,
    name: person.name ?? null,
    phone: person.phone ?? null,
    email: person.email ?? null,
  }));
  // What a contact's details do not say is kept, not erased.
  const contacts = await tx.$queryRaw<ChannelContact[]>`
    INSERT INTO channel_contacts (id, tenant_id, session_id, external_id, name, phone, email, created_at, updated_at)
    SELECT c.id, ${session.tenantId}, ${session.id}, c."externalId", c.name, c.phone, c.email, ${now}, ${now}
      FROM jsonb_to_recordset(${JSON.stringify(details)}::jsonb) AS c(id text, "externalId" text, name text, phone text, email text)
    ON CONFLICT (session_id, external_id) DO UPDATE
       SET name = COALESCE(EXCLUDED.name, channel_contacts.name), phone = COALESCE(EXCLUDED.phone, channel_contacts.phone),
           email = COALESCE(EXCLUDED.email, channel_contacts.email), updated_at = EXCLUDED.updated_at
    RETURNING ${CONTACT_COLUMNS}`;
  const open = await tx.$queryRaw<ChannelConversation[]>`
    SELECT DISTINCT ON (contact_id) ${CONVERSATION_COLUMNS} FROM channel_conversations
     WHERE session_id = ${session.id} AND contact_id = ANY(${contacts.map((contact) => contact.id)}::text[]) AND status = 'OPEN'
     ORDER BY contact_id, id DESC`;
  const openOf = new Map(open.map((conversation) => [conversation.contactId, conversation]));
  const missing = contacts.filter((contact) => !openOf.has(contact.id)).map((contact) => ({ id: uuid7(), contactId: contact.id }));
  const created = missing.length
    ? await tx.$queryRaw<ChannelConversation[]>`
        INSERT INTO channel_conversations (id, tenant_id, session_id, contact_id, status, last_message_at, created_at)
        SELECT n.id, ${session.tenantId}, ${session.id}, n."contactId", 'OPEN'::"ConversationStatus", ${now}, ${now}
          FROM jsonb_to_recordset(${JSON.stringify(missing)}::jsonb) AS n(id text, "contactId" text)
        RETURNING ${CONVERSATION_COLUMNS}`
    : [];
  const contactOf = new Map(contacts.map((contact) => [contact.id, contact]));
  await emitAll(
    created
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((conversation) => ({
        tenantId: session.tenantId,
        type: 'conversation.created' as const,
        data: conversationEventData(conversation, contactOf.get(conversation.contactId)!),
      })),
  );
  const createdIds = new Set(created.map((conversation) => conversation.id));
  return new Map(
    [...open, ...created].map((conversation) => {
      const contact = contactOf.get(conversation.contactId)!;
      return [contact.externalId, { contact, conversation, created: createdIds.has(conversation.id) }];
    }),
  );
}

/** One contact and their open conversation (see `openConversations`). */
export async function openConversation(unit: UnitOfWork, session: ChannelSession, details: ContactDetails): Promise<OpenConversation> {
  return (await openConversations(unit, session, [details])).get(details.externalId)!;
}

export type OutboundRecord = {
  text: string;
  providerMessageId: string | null;
  status: Extract<ChannelMessageStatus, 'SENT' | 'FAILED'>;
  error?: string | null;
};

/** Stores a message sent to a contact and emits `message.sent`; the first reply sets the first response time. */
export async function recordOutbound(
  unit: UnitOfWork,
  session: ChannelSession,
  conversation: ChannelConversation,
  record: OutboundRecord,
): Promise<ChannelMessage> {
  const { tx, emit } = unit;
  const now = new Date();
  const message = await tx.channelMessage.create({
    data: {
      tenantId: session.tenantId,
      sessionId: session.id,
      conversationId: conversation.id,
      direction: 'OUTBOUND',
      providerMessageId: record.providerMessageId,
      text: record.text,
      status: record.status,
      error: record.error ?? null,
      occurredAt: now,
    },
  });
  await tx.channelConversation.update({
    where: { id: conversation.id },
    data: { lastMessageAt: now, ...(conversation.firstResponseAt || record.status === 'FAILED' ? {} : { firstResponseAt: now }) },
  });
  if (record.status === 'SENT') await emit(session.tenantId, 'message.sent', toChannelMessageJson(message));
  return message;
}
