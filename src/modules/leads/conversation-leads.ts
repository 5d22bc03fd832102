import { lockOwnedRow } from '../../db/row-locks.ts';
import type { UnitOfWork } from '../events.ts';
import type { Channel, ChannelContact, ChannelConversation, Lead, LeadSource, Prisma } from '../../generated/prisma/client.ts';
import type { ConversationLeads } from '../channels/contracts.ts';
import { classify } from './classifier.ts';
import { verdictFor, type LeadRecorder } from './recorder.ts';

/** The latest inbound messages the classifier reads; older ones have long since had their say. */
const MAX_CLASSIFIED_MESSAGES = 200;

const sourceOf: Record<Channel, LeadSource> = { WHATSAPP: 'WHATSAPP', INSTAGRAM: 'INSTAGRAM', MESSENGER: 'MESSENGER', WEBSITE: 'WEBSITE' };

/** The texts the contact sent in a conversation, oldest first (at most the latest MAX_CLASSIFIED_MESSAGES). */
export async function inboundTexts(tx: Prisma.TransactionClient, conversationId: string): Promise<string[]> {
  const latest = await tx.channelMessage.findMany({
    where: { conversationId, direction: 'INBOUND' },
    select: { text: true },
    orderBy: { id: 'desc' },
    take: MAX_CLASSIFIED_MESSAGES,
  });
  return latest.reverse().map((message) => message.text);
}

/**
 * One lead per channel conversation, kept in step inside the transaction that stored each
 * inbound message: made with the contact's details on the first one, re-classified on each.
 * An intent a team member set stays; signals and score follow the conversation all the same.
 */
export class ConversationLeadTracker implements ConversationLeads {
  constructor(private readonly recorder: LeadRecorder) {}

  async track(
    unit: UnitOfWork,
    { tenantId, channel, conversation, contact }: { tenantId: string; channel: Channel; conversation: ChannelConversation; contact: ChannelContact },
  ): Promise<void> {
    const { tx } = unit;
    // The conversation's row serialises its tracking, so that two messages arriving together make one lead.
    if (!(await lockOwnedRow(tx, 'channel_conversations', tenantId, conversation.id))) return;
    const messages = await inboundTexts(tx, conversation.id);
    const current = await lockByConversation(tx, conversation.id);
    if (!current) {
      const { intent, score, signals } = classify({ messages });
      await this.recorder.create(unit, {
        tenantId,
        conversationId: conversation.id,
        contactId: contact.id,
        name: contact.name,
        email: contact.email,
        phone: contact.phone,
        notes: null,
        source: sourceOf[channel],
        intent,
        intentSource: 'RULES',
        signals,
        score,
      });
      return;
    }
    await this.recorder.update(unit, current, {
      // What a team member typed wins over what the channel says.
      name: current.name ?? contact.name,
      email: current.email ?? contact.email,
      phone: current.phone ?? contact.phone,
      contactId: contact.id,
      ...verdictFor(current.intentSource, classify({ messages, notes: current.notes })),
    });
  }
}

async function lockByConversation(tx: Prisma.TransactionClient, conversationId: string): Promise<Lead | null> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM leads WHERE conversation_id = ${conversationId} FOR UPDATE`;
  return locked[0] ? tx.lead.findUnique({ where: { id: locked[0].id } }) : null;
}
