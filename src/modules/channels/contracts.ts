import type { UnitOfWork } from '../events.ts';
import type {
  Channel,
  ChannelContact,
  ChannelConversation,
  ChannelMessage,
  ChannelSession,
} from '../../generated/prisma/client.ts';

/** A message someone sent to a session, as every channel's payload is normalised to. */
export type InboundMessage = {
  /** The provider's message id; a redelivery carries the same one and is stored once. */
  providerMessageId: string;
  from: ContactDetails;
  text: string;
  occurredAt: Date;
};

/** Who wrote, as the channel knows them: `externalId` is the provider's id (or a widget visitor's). */
export type ContactDetails = { externalId: string; name?: string | null; phone?: string | null; email?: string | null };

/** What storing an inbound message did; `message` is null when it was a redelivery. */
export type Received = {
  session: ChannelSession;
  contact: ChannelContact;
  conversation: ChannelConversation;
  conversationCreated: boolean;
  message: ChannelMessage | null;
};

/** Sends a text through a session's provider (the Graph API for WhatsApp, Messenger, Instagram). */
export interface ChannelSender {
  /** Resolves with the provider's id for the message; rejects with a ProviderError whose message is safe to show. */
  send(session: ChannelSession, to: string, text: string): Promise<{ providerMessageId: string }>;
}

/**
 * Keeps leads in step with channel conversations, inside the transaction that stored inbound
 * messages: a new conversation makes a lead, each batch of inbound messages re-classifies its intent.
 */
export interface ConversationLeads {
  track(unit: UnitOfWork, tenantId: string, conversations: { channel: Channel; conversation: ChannelConversation; contact: ChannelContact }[]): Promise<void>;
}
