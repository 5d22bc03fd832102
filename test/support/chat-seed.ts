/**
 * History fixtures: messages written straight into the app's database, for tests of reading a
 * chat's history (paging, search, export), not of sending. Tests of sending use `sendMessage`.
 */
import type { MessageRole, MessageStatus } from '../../src/generated/prisma/client.ts';
import type { RunningApp } from './app.ts';

export type HistoryMessage = { content: string; role?: MessageRole; status?: MessageStatus; error?: string };

/** Appends messages to a chat in the given order (Prisma's uuid7 ids grow with it) and answers their ids, oldest first. */
export async function insertHistory(app: RunningApp, chatId: string, messages: (HistoryMessage | string)[]): Promise<string[]> {
  const prisma = app.prisma();
  const { tenantId } = await prisma.chat.findUniqueOrThrow({ where: { id: chatId }, select: { tenantId: true } });
  const rows = await prisma.message.createManyAndReturn({
    data: messages.map((message) => {
      const { content, role = 'USER', status = 'COMPLETED', error } = typeof message === 'string' ? { content: message } : message;
      return { tenantId, chatId, content, role, status, error };
    }),
    select: { id: true },
  });
  await prisma.chat.update({ where: { id: chatId }, data: { lastMessageAt: new Date() } });
  return rows.map((row) => row.id);
}
