import type { Message, MessageRole, MessageStatus, Prisma } from '../../generated/prisma/client.ts';

/** A chat message as events carry it, to subscribers and in webhook bodies: JSON values only. */
export type MessageJson = {
  id: string;
  chatId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  metadata: Prisma.JsonValue;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  /** Tokens the model reported for a reply of an OPENAI_COMPATIBLE agent; null otherwise. */
  usage: { promptTokens: number; completionTokens: number } | null;
};

export function toMessageJson(message: Message): MessageJson {
  return {
    id: message.id,
    chatId: message.chatId,
    role: message.role,
    content: message.content,
    status: message.status,
    error: message.error,
    metadata: message.metadata,
    lastSeq: message.lastSeq,
    createdAt: message.createdAt.toISOString(),
    updatedAt: message.updatedAt.toISOString(),
    completedAt: message.completedAt?.toISOString() ?? null,
    usage:
      message.promptTokens === null || message.completionTokens === null
        ? null
        : { promptTokens: message.promptTokens, completionTokens: message.completionTokens },
  };
}

export function fromMessageJson({ usage, ...json }: MessageJson, tenantId: string): Message {
  return {
    ...json,
    tenantId,
    promptTokens: usage?.promptTokens ?? null,
    completionTokens: usage?.completionTokens ?? null,
    createdAt: new Date(json.createdAt),
    updatedAt: new Date(json.updatedAt),
    completedAt: json.completedAt ? new Date(json.completedAt) : null,
  };
}

export function isFinal(status: MessageStatus): boolean {
  return status !== 'STREAMING';
}
