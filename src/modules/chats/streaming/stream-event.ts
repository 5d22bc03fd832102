import type { Message, MessageStatus } from '../../../generated/prisma/client.ts';
import { toMessageJson, type MessageJson } from '../message-json.ts';

export type StreamEventType = 'STATUS' | 'TOKEN' | 'DONE' | 'ERROR';

/**
 * One event of an assistant reply's stream. `seq` starts at 1 and rises by one per event, so a
 * subscriber that saw `seq` n can resume with `afterSeq: n`. DONE (COMPLETED or CANCELLED) and
 * ERROR (FAILED) are the last event and carry the final message.
 */
export type StreamEventMessage = {
  messageId: string;
  seq: number;
  type: StreamEventType;
  status: MessageStatus;
  delta?: string;
  error?: string;
  message?: MessageJson;
};

export function isTerminal(event: Pick<StreamEventMessage, 'type'>): boolean {
  return event.type === 'DONE' || event.type === 'ERROR';
}

/** The last event of a finished reply, from its stored row. */
export function terminalEventOf(message: Message): StreamEventMessage {
  return {
    messageId: message.id,
    seq: message.lastSeq,
    type: message.status === 'FAILED' ? 'ERROR' : 'DONE',
    status: message.status,
    ...(message.error ? { error: message.error } : {}),
    message: toMessageJson(message),
  };
}

/** Typing indicators are fleeting: never stored, only published. */
export type TypingMessage = {
  chatId: string;
  userId: string;
  isTyping: boolean;
  /** ISO 8601; a client shows the indicator until then unless it hears again. */
  expiresAt: string;
};
