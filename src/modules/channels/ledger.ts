import type { UnitOfWork } from '../events.ts';
import type { ChannelConversation, ChannelMessage, ChannelMessageStatus, ChannelSession } from '../../generated/prisma/client.ts';
import type { ContactDetails } from './contracts.ts';
import { conversationEventData, toChannelMessageJson } from './messages.ts';

/**
 * The contact (by the provider's id for them) and their open conversation, created when
 * missing; a new conversation emits `conversation.created`. Runs in the caller's transaction.
 */
export async function openConversation(unit: UnitOfWork, session: ChannelSession, details: ContactDetails) {
  const { tx, emit } = unit;
  const known = { name: details.name ?? undefined, phone: details.phone ?? undefined, email: details.email ?? undefined };
  const contact = await tx.channelContact.upsert({
    where: { sessionId_externalId: { sessionId: session.id, externalId: details.externalId } },
    create: { tenantId: session.tenantId, sessionId: session.id, externalId: details.externalId, ...known },
    update: known,
  });
  const open = await tx.channelConversation.findFirst({
    where: { sessionId: session.id, contactId: contact.id, status: 'OPEN' },
    orderBy: { id: 'desc' },
  });
  if (open) return { contact, conversation: open, created: false };
  const conversation = await tx.channelConversation.create({
    data: { tenantId: session.tenantId, sessionId: session.id, contactId: contact.id },
  });
  await emit(session.tenantId, 'conversation.created', conversationEventData(conversation, contact));
  return { contact, conversation, created: true };
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
