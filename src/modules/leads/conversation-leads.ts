import type { UnitOfWork } from '../events.ts';
import type { Channel, ChannelContact, ChannelConversation, Lead, LeadSource, Prisma } from '../../generated/prisma/client.ts';
import type { ConversationLeads } from '../channels/contracts.ts';
import { classify } from './classifier.ts';
import { verdictFor, type LeadRecorder } from './recorder.ts';

/** The latest inbound messages the classifier reads; older ones have long since had their say. */
const MAX_CLASSIFIED_MESSAGES = 200;

const sourceOf: Record<Channel, LeadSource> = { WHATSAPP: 'WHATSAPP', INSTAGRAM: 'INSTAGRAM', MESSENGER: 'MESSENGER', WEBSITE: 'WEBSITE' };

type Tracked = { channel: Channel; conversation: ChannelConversation; contact: ChannelContact };

/**
 * One lead per channel conversation, kept in step inside the transaction that stored inbound
 * messages: made with the contact's details on the first one, re-classified on each batch of
 * them. An intent a team member set stays; signals and score follow the conversation all the same.
 */
export class ConversationLeadTracker implements ConversationLeads {
  constructor(private readonly recorder: LeadRecorder) {}

  async track(unit: UnitOfWork, tenantId: string, conversations: Tracked[]): Promise<void> {
    const { tx } = unit;
    if (conversations.length === 0) return;
    const ids = conversations.map((item) => item.conversation.id);
    // The conversations' rows serialise their tracking, so that two messages arriving together make one lead.
    const present = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM channel_conversations WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE`;
    const texts = await inboundTextsByConversation(tx, present.map((row) => row.id));
    const leads = await lockByConversations(tx, present.map((row) => row.id));
    const tracked = new Set(present.map((row) => row.id));
    for (const { channel, conversation, contact } of conversations) {
      if (!tracked.has(conversation.id)) continue;
      const messages = texts.get(conversation.id) ?? [];
      const current = leads.get(conversation.id);
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
        continue;
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
}

/** The texts the contact sent in a conversation, oldest first (at most the latest MAX_CLASSIFIED_MESSAGES). */
export async function inboundTexts(tx: Prisma.TransactionClient, conversationId: string): Promise<string[]> {
  return (await inboundTextsByConversation(tx, [conversationId])).get(conversationId) ?? [];
}

/** The texts the contact sent in each conversation, oldest first (at most the latest MAX_CLASSIFIED_MESSAGES). */
async function inboundTextsByConversation(tx: Prisma.TransactionClient, conversationIds: string[]): Promise<Map<string, string[]>> {
  // One row per conversation: a row per message made each batch of a busy session decode tens of thousands.
  const rows = await tx.$queryRaw<{ conversationId: string; texts: string[] }[]>`
    SELECT conversation_id AS "conversationId", array_agg(text ORDER BY id) AS texts FROM (
      SELECT conversation_id, id, text, row_number() OVER (PARTITION BY conversation_id ORDER BY id DESC) AS recency
        FROM channel_messages
       WHERE conversation_id = ANY(${conversationIds}::text[]) AND direction = 'INBOUND') latest
     WHERE recency <= ${MAX_CLASSIFIED_MESSAGES}
     GROUP BY conversation_id`;
  return new Map(rows.map((row) => [row.conversationId, row.texts]));
}

async function lockByConversations(tx: Prisma.TransactionClient, conversationIds: string[]): Promise<Map<string, Lead>> {
  const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM leads WHERE conversation_id = ANY(${conversationIds}::text[]) ORDER BY id FOR UPDATE`;
  const leads = locked.length ? await tx.lead.findMany({ where: { id: { in: locked.map((row) => row.id) } } }) : [];
  return new Map(leads.map((lead) => [lead.conversationId!, lead]));
}
