import type { Outbox, UnitOfWork } from '../events.ts';
import type { ChannelSession } from '../../generated/prisma/client.ts';
import type { ConversationLeads, InboundMessage, Received } from './contracts.ts';
import { openConversation } from './ledger.ts';
import { contactJson, toChannelMessageJson } from './messages.ts';

export type InboxOptions = {
  outbox: Outbox;
  /** Keeps leads in step with conversations, in the same transaction; none: no leads are made. */
  leads?: ConversationLeads;
};

/**
 * Where every channel's inbound messages are stored: contacts, conversations and messages,
 * with `conversation.created` and `message.received`, one transaction per payload. The
 * provider's message id is unique per session, so a redelivered message is stored once and
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

  /** Stores the messages of one payload, in order, in the caller's transaction. */
  async receiveIn(unit: UnitOfWork, session: ChannelSession, messages: InboundMessage[]): Promise<Received[]> {
    if (messages.length === 0) return [];
    const stored = await this.storedAlready(unit, session, messages);
    const received: Received[] = [];
    for (const message of messages) {
      const earlier = stored.get(message.providerMessageId);
      if (earlier) received.push({ session, ...earlier, conversationCreated: false, message: null });
      else received.push(await this.store(unit, session, message));
      const last = received.at(-1)!;
      stored.set(message.providerMessageId, { contact: last.contact, conversation: last.conversation });
    }
    return received;
  }

  /** The conversation and contact of each message of the payload that is stored already. */
  private async storedAlready(unit: UnitOfWork, session: ChannelSession, messages: InboundMessage[]) {
    const rows = await unit.tx.channelMessage.findMany({
      where: { sessionId: session.id, providerMessageId: { in: messages.map((message) => message.providerMessageId) } },
      select: { providerMessageId: true, conversation: { include: { contact: true } } },
    });
    return new Map(
      rows.map(({ providerMessageId, conversation: { contact, ...conversation } }) => [providerMessageId!, { contact, conversation }]),
    );
  }

  private async store(unit: UnitOfWork, session: ChannelSession, inbound: InboundMessage): Promise<Received> {
    const { tx, emit } = unit;
    const { contact, conversation, created } = await openConversation(unit, session, inbound.from);
    // ON CONFLICT DO NOTHING: a concurrent delivery of the same message may have stored it since the check.
    const [message] = await tx.channelMessage.createManyAndReturn({
      data: [
        {
          tenantId: session.tenantId,
          sessionId: session.id,
          conversationId: conversation.id,
          direction: 'INBOUND',
          providerMessageId: inbound.providerMessageId,
          text: inbound.text,
          status: 'RECEIVED',
          occurredAt: inbound.occurredAt,
        },
      ],
      skipDuplicates: true,
    });
    if (!message) return { session, contact, conversation, conversationCreated: created, message: null };
    // Arrival, not the provider's timestamp: a delivery retried for days must not look idle at once.
    const current = await tx.channelConversation.update({ where: { id: conversation.id }, data: { lastMessageAt: new Date() } });
    await emit(session.tenantId, 'message.received', { ...toChannelMessageJson(message), channel: session.channel, contact: contactJson(contact) });
    await this.options.leads?.track(unit, { tenantId: session.tenantId, channel: session.channel, conversation: current, contact });
    return { session, contact, conversation: current, conversationCreated: created, message };
  }
}
