import type { UnitOfWork } from '../events.ts';
import { Prisma, type Channel, type ChannelContact, type ChannelConversation, type Lead, type LeadSource } from '../../generated/prisma/client.ts';
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
 * A model's verdict stays too while the team has an active intent agent, which decides again after
 * the commit (ai-intent.ts); without one any more, the rules take over again.
 */
export class ConversationLeadTracker implements ConversationLeads {
  constructor(private readonly recorder: LeadRecorder) {}

  async track(unit: UnitOfWork, tenantId: string, conversations: Tracked[]): Promise<void> {
    const { tx } = unit;
    if (conversations.length === 0) return;
    const texts = await lockConversationsWithTexts(tx, tenantId, conversations.map((item) => item.conversation.id));
    const leads = await lockLeadsOf(tx, [...texts.keys()]);
    const tracked = new Set(texts.keys());
    // Asked only when a lead's intent is a model's: most batches have none.
    const aiDecides = [...leads.values()].some((lead) => lead.intentSource === 'AI') && (await hasActiveIntentAgent(tx, tenantId));
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
        ...verdictFor(current.intentSource, classify({ messages, notes: current.notes }), aiDecides),
      });
    }
  }
}

/** The texts the contact sent in a conversation, oldest first (at most the latest MAX_CLASSIFIED_MESSAGES). */
export async function inboundTexts(tx: Prisma.TransactionClient, conversationId: string): Promise<string[]> {
  const [row] = await tx.$queryRaw<{ texts: string[] }[]>`SELECT ${latestInboundTexts(Prisma.sql`${conversationId}`)} AS texts`;
  return row?.texts ?? [];
}

/**
 * Locks the tenant's conversations among `ids`, in id order, and answers each one's inbound
 * texts (as `inboundTexts`), in one statement. The locks serialise tracking, so that two messages
 * arriving together make one lead; conversations of other tenants, or deleted, are left out.
 */
async function lockConversationsWithTexts(tx: Prisma.TransactionClient, tenantId: string, ids: string[]): Promise<Map<string, string[]>> {
  const rows = await tx.$queryRaw<{ id: string; texts: string[] }[]>`
    WITH locked AS (
      SELECT id FROM channel_conversations WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE
    )
    SELECT locked.id, ${latestInboundTexts(Prisma.sql`locked.id`)} AS texts FROM locked`;
  return new Map(rows.map((row) => [row.id, row.texts]));
}

/**
 * The conversation's latest inbound texts, oldest first, as one JSON array: a row per message
 * made a busy session's batch decode tens of thousands, and a text[] is parsed character by
 * character on this process's thread, where JSON is parsed natively (half the time for a batch).
 */
function latestInboundTexts(conversationId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(
    SELECT COALESCE(json_agg(text ORDER BY id), '[]') FROM (
      SELECT id, text FROM channel_messages
       WHERE conversation_id = ${conversationId} AND direction = 'INBOUND'
       ORDER BY id DESC LIMIT ${MAX_CLASSIFIED_MESSAGES}) latest)`;
}

/** Whether the team's intent agent (ai-intent.ts) decides its leads' intent: it has one, and it is active. */
export async function hasActiveIntentAgent(tx: Prisma.TransactionClient, tenantId: string): Promise<boolean> {
  const team = await tx.tenant.findUnique({ where: { id: tenantId }, select: { intentAgent: { select: { isActive: true } } } });
  return team?.intentAgent?.isActive === true;
}

/** The tenant's lead of a conversation, locked (FOR UPDATE); null when there is none. */
export async function lockLeadOf(tx: Prisma.TransactionClient, tenantId: string, conversationId: string): Promise<Lead | null> {
  const lead = (await lockLeadsOf(tx, [conversationId])).get(conversationId);
  return lead?.tenantId === tenantId ? lead : null;
}

/** The leads of these conversations, locked (FOR UPDATE, in id order) and read in one statement. */
async function lockLeadsOf(tx: Prisma.TransactionClient, conversationIds: string[]): Promise<Map<string, Lead>> {
  const leads = await tx.$queryRaw<Lead[]>`
    SELECT ${LEAD_COLUMNS} FROM leads WHERE conversation_id = ANY(${conversationIds}::text[]) ORDER BY id FOR UPDATE`;
  return new Map(leads.map((lead) => [lead.conversationId!, lead]));
}

/** Every scalar field of Lead, from its column (each maps its name to snake_case in schema.prisma), so a new field comes along. */
const LEAD_COLUMNS = Prisma.raw(
  Object.values(Prisma.LeadScalarFieldEnum)
    .map((field) => `${field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)} AS "${field}"`)
    .join(', '),
);
