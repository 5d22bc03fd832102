import type { Outbox } from '../../events.ts';
import type { Message, MessageStatus, Prisma, PrismaClient } from '../../../generated/prisma/client.ts';
import { attachmentFields, attachmentPath } from '../attachments.ts';
import { toMessageJson } from '../message-json.ts';
import type { AgentRequestBody, TokenUsage } from '../../agents/calling/types.ts';

export type FinalState = {
  status: Exclude<MessageStatus, 'STREAMING'>;
  content: string;
  error: string | null;
  lastSeq: number;
  /** The tokens the agent's model reported for the reply, when it did. */
  usage?: (TokenUsage & { agentId: string }) | null;
};

const roleNames = { USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system' } as const;

/** The database side of assistant replies: the history an agent is sent, and the final write. */
export class ReplyStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    /** Where the agent fetches attachments from: this server's PUBLIC_URL. */
    private readonly publicUrl: string,
  ) {}

  /** The chat's latest finished messages, oldest first, as the agent is sent them. */
  async history(db: Prisma.TransactionClient, chatId: string, limit: number): Promise<AgentRequestBody['messages']> {
    const latest = await db.message.findMany({
      where: { chatId, status: 'COMPLETED', content: { not: '' } },
      orderBy: { id: 'desc' },
      take: limit,
      select: { role: true, content: true, createdAt: true, attachments: { select: attachmentFields, orderBy: { id: 'asc' } } },
    });
    return latest.reverse().map(({ role, content, createdAt, attachments }) => ({
      role: roleNames[role],
      content,
      timestamp: createdAt.toISOString(),
      // Only on messages that have files: the body of every other message stays as it was.
      ...(attachments.length > 0 ? { attachments: attachments.map((file) => this.forAgent(file)) } : {}),
    }));
  }

  /** A file as the agent gets it: an absolute URL it can fetch without credentials. */
  private forAgent(file: { id: string; name: string; mimeType: string; size: number; sha256: string }) {
    return { url: `${this.publicUrl}${attachmentPath(file)}`, name: file.name, mimeType: file.mimeType, size: file.size };
  }

  /**
   * Writes a reply's final state, once: only a message still STREAMING is finished, so a
   * generator and a forced cancel racing each other cannot both win. Null when another did
   * (or the chat was deleted meanwhile).
   */
  finish(tenantId: string, messageId: string, { usage, ...final }: FinalState): Promise<Message | null> {
    const completedAt = new Date();
    return this.outbox.transaction(async ({ tx, emitAll }) => {
      const tokens = usage ? { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens } : {};
      const { count } = await tx.message.updateMany({
        where: { id: messageId, tenantId, status: 'STREAMING' },
        data: { ...final, ...tokens, completedAt },
      });
      // The tokens were spent whoever ends the reply, and even when its chat is gone.
      if (usage) await tx.agentUsage.create({ data: { tenantId, purpose: 'CHAT_REPLY', replyToId: messageId, ...usage } });
      if (count === 0) return null;
      const message = await tx.message.findUniqueOrThrow({ where: { id: messageId } });
      await tx.chat.update({ where: { id: message.chatId }, data: { lastMessageAt: completedAt } });
      const data = toMessageJson(message);
      const publicType = final.status === 'COMPLETED' ? 'chat.message.completed' : final.status === 'FAILED' ? 'chat.message.failed' : null;
      await emitAll([
        { tenantId, type: 'chat.message_updated', data },
        ...(publicType ? [{ tenantId, type: publicType, data } as const] : []),
      ]);
      return message;
    });
  }

  find(tenantId: string, messageId: string): Promise<Message | null> {
    return this.prisma.message.findFirst({ where: { id: messageId, tenantId } });
  }

  /** Replies still streaming although they started before `startedBefore`: their generator is gone. */
  stale(startedBefore: Date) {
    return this.prisma.message.findMany({
      where: { status: 'STREAMING', createdAt: { lt: startedBefore } },
      select: { id: true, tenantId: true },
      take: 100,
    });
  }
}
