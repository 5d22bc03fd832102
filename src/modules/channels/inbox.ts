import type { Outbox, UnitOfWork } from '../events.ts';
import { Prisma, type ChannelConversation, type ChannelMessage, type ChannelSession } from '../../generated/prisma/client.ts';
import { uuid7 } from '../../db/uuid7.ts';
import type { ContactDetails, ConversationLeads, InboundMessage, Received } from './contracts.ts';
import { CONVERSATION_COLUMNS, openConversations } from './ledger.ts';
import { contactJson, toChannelMessageJson } from './messages.ts';

export type InboxOptions = {
  outbox: Outbox;
  /** Keeps leads in step with conversations, in the same transaction; none: no leads are made. */
  leads?: ConversationLeads;
};

/**
 * Where every channel's inbound messages are stored: contacts, conversations and messages,
 * with `conversation.created` and `message.received`, in a transaction of their own (the
 * widget) or the caller's (a batch of accepted payloads). The provider's message id is unique per session, so a redelivered message is stored once and
 * announced once, and a distinct one is never dropped. What follows a message (auto-replies,
 * webhooks, leads' emails) reacts to `message.received`.
 */
export class Inbox {
  constructor(private readonly options: InboxOptions) {}

  /** Stores the messages of one payload in a transaction of their own; each result's `message` is null for a redelivery. */
  async receive(session: ChannelSession, messages: InboundMessage[]): Promise<Received[]> {
    if (messages.length === 0) return [];
    return this.options.outbox.transaction((unit) => this.receiveIn(unit, session, messages));
  }

  /** Stores messages in the caller's transaction, each contact's in order (see `storeAll`). */
  async receiveIn(unit: UnitOfWork, session: ChannelSession, messages: InboundMessage[]): Promise<Received[]> {
    if (messages.length === 0) return [];
    const stored = await this.storedAlready(unit, session, messages);
    const fresh = new Map<string, InboundMessage[]>();
    const seen = new Set<string>();
    for (const message of messages) {
      if (stored.has(message.providerMessageId) || seen.has(message.providerMessageId)) continue;
      seen.add(message.providerMessageId);
      fresh.set(message.from.externalId, [...(fresh.get(message.from.externalId) ?? []), message]);
    }
    // A redelivery of what is stored already writes nothing.
    const results = fresh.size > 0 ? await this.storeAll(unit, session, [...fresh.values()]) : new Map<string, Received>();
    const returned = new Set<string>();
    return messages.map((message) => {
      const id = message.providerMessageId;
      const result = results.get(id);
      if (result && !returned.has(id)) {
        returned.add(id);
        return result;
      }
      // A redelivery: stored before, or a repeat within these messages.
      const { contact, conversation } = result ?? stored.get(id)!;
      return { session, contact, conversation, conversationCreated: false, message: null };
    });
  }

  /** The conversation and contact of each message that is stored already. */
  private async storedAlready(unit: UnitOfWork, session: ChannelSession, messages: InboundMessage[]) {
    const rows = await unit.tx.channelMessage.findMany({
      where: { sessionId: session.id, providerMessageId: { in: messages.map((message) => message.providerMessageId) } },
      select: { providerMessageId: true, conversation: { include: { contact: true } } },
    });
    return new Map(
      rows.map(({ providerMessageId, conversation: { contact, ...conversation } }) => [providerMessageId!, { contact, conversation }]),
    );
  }

  /**
   * Stores messages not stored before, each contact's oldest first, with one statement per step
   * for all of them; each contact's lead is then kept in step once.
   */
  private async storeAll(unit: UnitOfWork, session: ChannelSession, byContact: InboundMessage[][]): Promise<Map<string, Received>> {
    const { tx, emitAll } = unit;
    const opened = await openConversations(unit, session, byContact.map(latestDetails));
    const openOf = (inbound: InboundMessage) => opened.get(inbound.from.externalId)!;
    const rows = byContact.flat().map((inbound) => ({
      id: uuid7(),
      conversationId: openOf(inbound).conversation.id,
      providerMessageId: inbound.providerMessageId,
      text: inbound.text,
      occurredAt: inbound.occurredAt.toISOString(),
    }));
    const now = Prisma.sql`${new Date()}::timestamp(3)`;
    // ON CONFLICT DO NOTHING: a concurrent delivery of the same message may have stored it since the check.
    const stored = await tx.$queryRaw<ChannelMessage[]>`
      INSERT INTO channel_messages (id, tenant_id, session_id, conversation_id, direction, provider_message_id, text, status, occurred_at, created_at)
      SELECT m.id, ${session.tenantId}, ${session.id}, m."conversationId", 'INBOUND'::"MessageDirection", m."providerMessageId", m.text,
             'RECEIVED'::"ChannelMessageStatus", m."occurredAt"::timestamptz AT TIME ZONE 'UTC', ${now}
        FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS m(id text, "conversationId" text, "providerMessageId" text, text text, "occurredAt" text)
      ON CONFLICT (session_id, provider_message_id) DO NOTHING
      RETURNING id, tenant_id AS "tenantId", session_id AS "sessionId", conversation_id AS "conversationId", direction,
                provider_message_id AS "providerMessageId", text, status, error, occurred_at AS "occurredAt", created_at AS "createdAt"`;
    stored.sort((a, b) => (a.id < b.id ? -1 : 1));
    const touched = [...new Set(stored.map((message) => message.conversationId))];
    // Arrival, not the provider's timestamp: a delivery retried for days must not look idle at once.
    const current = touched.length
      ? await tx.$queryRaw<ChannelConversation[]>`
          UPDATE channel_conversations SET last_message_at = ${now} WHERE id = ANY(${touched}::text[])
          RETURNING ${CONVERSATION_COLUMNS}`
      : [];
    const conversations = new Map(current.map((conversation) => [conversation.id, conversation]));
    const contactOf = new Map([...opened.values()].map(({ contact, conversation }) => [conversation.id, contact]));
    await emitAll(
      stored.map((message) => ({
        tenantId: session.tenantId,
        type: 'message.received' as const,
        data: { ...toChannelMessageJson(message), channel: session.channel, contact: contactJson(contactOf.get(message.conversationId)!) },
      })),
    );
    await this.options.leads?.track(
      unit,
      session.tenantId,
      current.map((conversation) => ({ channel: session.channel, conversation, contact: contactOf.get(conversation.id)! })),
    );
    const byProviderId = new Map(stored.map((message) => [message.providerMessageId!, message]));
    return new Map(
      byContact.flatMap((theirs) =>
        theirs.map((inbound, index): [string, Received] => {
          const { contact, conversation, created } = openOf(inbound);
          return [
            inbound.providerMessageId,
            {
              session,
              contact,
              conversation: conversations.get(conversation.id) ?? conversation,
              conversationCreated: created && index === 0,
              message: byProviderId.get(inbound.providerMessageId) ?? null,
            },
          ];
        }),
      ),
    );
  }
}

/** What the contact's latest messages say about them: each detail from the latest message that has it. */
function latestDetails(messages: InboundMessage[]): ContactDetails {
  const newestFirst = [...messages].reverse();
  const latest = (pick: (details: ContactDetails) => string | null | undefined) => newestFirst.map((message) => pick(message.from)).find((value) => value != null);
  return {
    externalId: messages[0]!.from.externalId,
    name: latest((details) => details.name),
    phone: latest((details) => details.phone),
    email: latest((details) => details.email),
  };
}
