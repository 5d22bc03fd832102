import type { Catalogue } from '../../events/catalogue.ts';
import type { ChannelMessageJson, ConversationEventData, ReceivedMessageData } from './messages.ts';

export type ChannelEvents = {
  'message.received': ReceivedMessageData;
  'message.sent': ChannelMessageJson;
  'conversation.created': ConversationEventData;
  'conversation.closed': ConversationEventData & { reason: string };
};

export const channelEvents = {
  'message.received': { webhook: true, description: 'A channel session received a message.' },
  'message.sent': { webhook: true, description: 'A message was sent through a channel session.' },
  'conversation.created': { webhook: true, description: 'A channel conversation started.' },
  'conversation.closed': { webhook: true, description: 'A channel conversation was closed.' },
} as const satisfies Catalogue<ChannelEvents>;
