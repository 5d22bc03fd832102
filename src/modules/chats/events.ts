import type { Catalogue } from '../../events/catalogue.ts';
import type { MessageJson } from './message-json.ts';

export type ChatEvents = {
  'chat.message.completed': MessageJson;
  'chat.message.failed': MessageJson;
  'chat.message_created': MessageJson;
  'chat.message_updated': MessageJson;
};

export const chatEvents = {
  'chat.message.completed': { webhook: true, description: 'An assistant reply finished streaming.' },
  'chat.message.failed': { webhook: true, description: 'An assistant reply failed; `error` says why.' },
  'chat.message_created': { webhook: false, description: 'A message was added to a chat.' },
  'chat.message_updated': { webhook: false, description: 'A chat message reached its final status.' },
} as const satisfies Catalogue<ChatEvents>;
