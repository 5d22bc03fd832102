import type { Catalogue } from '../../events/catalogue.ts';
import type { ChannelMessageJson, conversationEventData, ReceivedMessageData } from './messages.ts';

type ConversationData = ReturnType<typeof conversationEventData>;

export type ChannelEvents = {
  'message.received': ReceivedMessageData;
  'message.sent': ChannelMessageJson;
  'conversation.created': ConversationData;
  'conversation.closed': ConversationData & { reason: string };
};

export const channelEvents = {
  'message.received': { webhook: true, description: 'A channel session received a message.' },
  'message.sent': { webhook: true, description: 'A message was sent through a channel session.' },
  'conversation.created': { webhook: true, description: 'A channel conversation started.' },
  'conversation.closed': { webhook: true, description: 'A channel conversation was closed.' },
} as const satisfies Catalogue<ChannelEvents>;
