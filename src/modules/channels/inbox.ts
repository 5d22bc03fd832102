import type { Outbox, UnitOfWork } from '../events.ts';
import type { ChannelSession } from '../../generated/prisma/client.ts';
import { uuid7 } from '../../db/uuid7.ts';
import type { ContactDetails, ConversationLeads, InboundMessage, Received } from './contracts.ts';
import { openConversation } from './ledger.ts';
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

  /**
   * Stores messages in the caller's transaction, in order, a contact's at a time: their contact
   * and conversation are opened once, their messages inserted with one statement and announced
   * with another, and their lead kept in step once for all of them.
   */
  async receiveIn(unit: UnitOfWork, session: ChannelSession, messages: InboundMessage[]): Promise<Received[]> {
    if (messages.length === 0) return [];
    const stored = await this.storedAlready(unit, session, messages);
    const fresh = new Map<string, InboundMessage[]>();
    for (const message of messages) {
      if (stored.has(message.providerMessageId)) continue;
      const theirs = fresh.get(message.from.externalId) ?? [];
      if (!theirs.some((earlier) => earlier.providerMessageId === message.providerMessageId)) theirs.push(message);
      fresh.set(message.from.externalId, theirs);
    }
    const results = new Map<string, Received>();
    for (const theirs of fresh.values()) {
      for (const [providerMessageId, received] of await this.storeFrom(unit, session, theirs)) results.set(providerMessageId, received);
    }
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

  /** Stores messages of one contact, not stored before, oldest first. */
  private async storeFrom(unit: UnitOfWork, session: ChannelSession, theirs: InboundMessage[]): Promise<Map<string, Received>> {
    const { tx, emitAll } = unit;
    const { contact, conversation, created } = await openConversation(unit, session, latestDetails(theirs));
    // ON CONFLICT DO NOTHING: a concurrent delivery of the same message may have stored it since the check.
    const rows = await tx.channelMessage.createManyAndReturn({
      data: theirs.map((inbound) => ({
        id: uuid7(),
        tenantId: session.tenantId,
        sessionId: session.id,
        conversationId: conversation.id,
        direction: 'INBOUND' as const,
        providerMessageId: inbound.providerMessageId,
        text: inbound.text,
        status: 'RECEIVED' as const,
        occurredAt: inbound.occurredAt,
      })),
      skipDuplicates: true,
    });
    const byProviderId = new Map(rows.map((row) => [row.providerMessageId!, row]));
    let current = conversation;
    if (rows.length > 0) {
      // Arrival, not the provider's timestamp: a delivery retried for days must not look idle at once.
      current = await tx.channelConversation.update({ where: { id: conversation.id }, data: { lastMessageAt: new Date() } });
      const announced = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
      await emitAll(
        announced.map((message) => ({
          tenantId: session.tenantId,
          type: 'message.received' as const,
          data: { ...toChannelMessageJson(message), channel: session.channel, contact: contactJson(contact) },
        })),
      );
      await this.options.leads?.track(unit, { tenantId: session.tenantId, channel: session.channel, conversation: current, contact });
    }
    return new Map(
      theirs.map((inbound, index) => [
        inbound.providerMessageId,
        { session, contact, conversation: current, conversationCreated: created && index === 0, message: byProviderId.get(inbound.providerMessageId) ?? null },
      ]),
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
