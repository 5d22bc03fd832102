import type { Viewer } from '../../auth/viewer.ts';
import { forbidden, notFound } from '../../errors.ts';
import type { Chat, Prisma } from '../../generated/prisma/client.ts';

/**
 * Who sees a chat: its owner, and the whole team once the owner shares it. Admins get no
 * special look into other people's private chats. Everyone who sees a chat may write in it;
 * only its owner changes or deletes it.
 */
export function visibleChatsWhere(viewer: Viewer): Prisma.ChatWhereInput {
  return { tenantId: viewer.tenantId, OR: [{ ownerId: viewer.userId }, { sharedWithTeam: true }] };
}

/** The chat if the viewer may see it; another tenant's or a private one answers NOT_FOUND alike. */
export async function findVisibleChat(db: Prisma.TransactionClient, viewer: Viewer, chatId: string): Promise<Chat> {
  const chat = await db.chat.findFirst({ where: { id: chatId, ...visibleChatsWhere(viewer) } });
  if (!chat) throw notFound('Chat');
  return chat;
}

export function assertChatOwner(viewer: Viewer, chat: Chat): void {
  if (chat.ownerId !== viewer.userId) throw forbidden('Only the owner of a chat can change or delete it');
}

/** A message of a chat the viewer sees, or NOT_FOUND. */
export async function findVisibleMessage(db: Prisma.TransactionClient, viewer: Viewer, messageId: string) {
  const message = await db.message.findFirst({ where: { id: messageId, tenantId: viewer.tenantId, chat: visibleChatsWhere(viewer) } });
  if (!message) throw notFound('Message');
  return message;
}
