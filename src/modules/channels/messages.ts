import type { ChannelContact, ChannelConversation, ChannelMessage, ChannelSession } from '../../generated/prisma/client.ts';

/** A channel message as events carry it (`message.received`, `message.sent`): JSON values only. */
export type ChannelMessageJson = {
  id: string;
  sessionId: string;
  conversationId: string;
  direction: ChannelMessage['direction'];
  providerMessageId: string | null;
  text: string;
  status: ChannelMessage['status'];
  error: string | null;
  occurredAt: string;
  createdAt: string;
};

export function toChannelMessageJson(message: ChannelMessage): ChannelMessageJson {
  const { id, sessionId, conversationId, direction, providerMessageId, text, status, error } = message;
  return {
    id,
    sessionId,
    conversationId,
    direction,
    providerMessageId,
    text,
    status,
    error,
    occurredAt: message.occurredAt.toISOString(),
    createdAt: message.createdAt.toISOString(),
  };
}

export type ContactJson = Pick<ChannelContact, 'id' | 'externalId' | 'name' | 'phone' | 'email'>;

export function contactJson(contact: ChannelContact): ContactJson {
  return { id: contact.id, externalId: contact.externalId, name: contact.name, phone: contact.phone, email: contact.email };
}

/** What `message.received` carries: the message, with its channel and contact. */
export type ReceivedMessageData = ChannelMessageJson & { channel: ChannelSession['channel']; contact: ContactJson };

export function fromChannelMessageJson(json: ChannelMessageJson, tenantId: string): ChannelMessage {
  return { ...json, tenantId, occurredAt: new Date(json.occurredAt), createdAt: new Date(json.createdAt) };
}

/** A conversation as `conversation.created` / `conversation.closed` carry it, with its contact. */
/** A conversation as `conversation.created` and `conversation.closed` carry it, with its contact. */
export type ConversationEventData = {
  sessionId: string;
  conversation: { id: string; status: ChannelConversation['status']; createdAt: string; closedAt: string | null };
  contact: { id: string; externalId: string; name: string | null; phone: string | null; email: string | null };
};

export function conversationEventData(conversation: ChannelConversation, contact: ChannelContact): ConversationEventData {
  return {
    sessionId: conversation.sessionId,
    conversation: {
      id: conversation.id,
      status: conversation.status,
      createdAt: conversation.createdAt.toISOString(),
      closedAt: conversation.closedAt?.toISOString() ?? null,
    },
    contact: { id: contact.id, externalId: contact.externalId, name: contact.name, phone: contact.phone, email: contact.email },
  };
}
