import type { Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { badInput } from '../../errors.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { findVisibleChat } from './access.ts';

type ChatProjection = Projection<Prisma.ChatInclude, Prisma.ChatSelect>;

/**
 * Each user's place in each chat they see: how far they have read, and so how many messages are
 * unread to them. A marker only moves forward, so a stale client marking an older message read
 * takes nothing back.
 */
export class ChatReadMarkers {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Marks the chat read up to `messageId` (a message of that chat), or up to its latest message that is not a reply still streaming.
   * NOT_FOUND for a chat the viewer does not see; BAD_USER_INPUT for a message of another chat.
   */
  async markRead(viewer: Viewer, chatId: string, messageId: string | null | undefined, projection: ChatProjection = {}) {
    const chat = await findVisibleChat(this.prisma, viewer, chatId);
    const upTo = messageId
      ? await this.prisma.message.findFirst({ where: { id: messageId, chatId: chat.id }, select: { id: true } })
      : // Not a reply still streaming: it becomes worth reading when it ends.
        await this.prisma.message.findFirst({ where: { chatId: chat.id, status: { not: 'STREAMING' } }, orderBy: { id: 'desc' }, select: { id: true } });
    if (messageId && !upTo) throw badInput('messageId', 'messageId: this chat has no message with this id');
    if (upTo) await advanceReadMarker(this.prisma, viewer, chat.id, upTo.id);
    return this.prisma.chat.findUniqueOrThrow({ ...projection, where: { id: chat.id } });
  }

  /** The last message the viewer has read in the chat, or null. */
  async lastRead(viewer: Viewer, chatId: string): Promise<string | null> {
    const marker = await this.prisma.chatRead.findUnique({ where: { chatId_userId: { chatId, userId: viewer.userId } }, select: { lastReadMessageId: true } });
    return marker?.lastReadMessageId ?? null;
  }

  /** Messages of the chat after the viewer's marker (all of them when they never marked it), in one statement. */
  async unreadCount(viewer: Viewer, chatId: string): Promise<number> {
    const [row] = await this.prisma.$queryRaw<{ unread: number }[]>`
      SELECT count(*)::int AS unread FROM messages
       WHERE chat_id = ${chatId}
         AND id > COALESCE((SELECT last_read_message_id FROM chat_reads WHERE chat_id = ${chatId} AND user_id = ${viewer.userId}), '')`;
    return row?.unread ?? 0;
  }
}

/**
 * Moves the viewer's marker in the chat up to `messageId`, never back. One statement, so that two
 * clients of the same user marking at once keep the later mark. Sending a message marks it read.
 */
export async function advanceReadMarker(db: Prisma.TransactionClient, viewer: Viewer, chatId: string, messageId: string): Promise<void> {
  await db.$executeRaw`
    INSERT INTO chat_reads (chat_id, user_id, tenant_id, last_read_message_id, read_at)
    VALUES (${chatId}, ${viewer.userId}, ${viewer.tenantId}, ${messageId}, ${new Date()})
    ON CONFLICT (chat_id, user_id) DO UPDATE
      SET last_read_message_id = EXCLUDED.last_read_message_id, read_at = EXCLUDED.read_at
      WHERE chat_reads.last_read_message_id < EXCLUDED.last_read_message_id`;
}
