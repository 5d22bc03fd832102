import { z } from 'zod';
import type { Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { parseInput, withoutNul } from '../../validation.ts';
import { findVisibleChat } from './access.ts';
import { renderExport, type ChatExport, type ChatExportFormat, type ExportedMessage } from './export-format.ts';

export const SEARCH_DEFAULT_SIZE = 20;
export const SEARCH_MAX_SIZE = 100;
/** An export is built in memory: beyond this many messages it stops and says it was truncated. */
export const EXPORT_MAX_MESSAGES = 10_000;
const EXPORT_PAGE_SIZE = 500;

const searchInput = z.object({
  query: withoutNul(z.string().max(200, 'must be at most 200 characters')).refine(
    (query) => query.trim().length > 0,
    'must not be blank',
  ),
  // Larger pages are capped, as connections cap `first`.
  first: z
    .number()
    .int()
    .min(1, 'must be at least 1')
    .nullish()
    .transform((first) => Math.min(first ?? SEARCH_DEFAULT_SIZE, SEARCH_MAX_SIZE)),
});

export type SearchMessagesInput = z.input<typeof searchInput>;
type MessageProjection = Projection<Prisma.MessageInclude, Prisma.MessageSelect>;

/** A chat's messages as history: full-text search across the chats a viewer sees, and export. */
export class ChatHistoryService {
  constructor(private readonly prisma: PrismaClient) {}

  /**
   * Messages matching a web-search style query (`"exact phrase"`, `or`, `-word`) with English
   * stemming, in chats the viewer sees (archived ones too); best match first, then newest.
   */
  async search(viewer: Viewer, input: SearchMessagesInput, projection: MessageProjection = {}) {
    const { query, first } = parseInput(searchInput, input);
    const matches = await this.prisma.$queryRaw<{ id: string }[]>`
      SELECT m.id
      FROM messages m
      JOIN chats c ON c.id = m.chat_id
      CROSS JOIN websearch_to_tsquery('english', ${query}) AS q
      WHERE m.tenant_id = ${viewer.tenantId}
        AND c.tenant_id = ${viewer.tenantId}
        AND (c.owner_id = ${viewer.userId} OR c.shared_with_team)
        AND m.search_vector @@ q
      ORDER BY ts_rank(m.search_vector, q) DESC, m.id DESC
      LIMIT ${first}`;
    const rank = new Map(matches.map(({ id }, index) => [id, index]));
    const messages = await this.prisma.message.findMany({
      ...projection,
      where: { id: { in: [...rank.keys()] }, tenantId: viewer.tenantId },
    });
    return messages.sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
  }

  /** The chat and its messages, oldest first, as a Markdown or JSON document. */
  async export(viewer: Viewer, chatId: string, format: ChatExportFormat): Promise<ChatExport> {
    const chat = await findVisibleChat(this.prisma, viewer, chatId);
    const messages = await this.messagesOf(chat.id, EXPORT_MAX_MESSAGES + 1);
    const truncated = messages.length > EXPORT_MAX_MESSAGES;
    return renderExport(format, chat, truncated ? messages.slice(0, EXPORT_MAX_MESSAGES) : messages, truncated);
  }

  /** Up to `limit` messages of a chat, oldest first, read in pages so no single query is huge. */
  private async messagesOf(chatId: string, limit: number): Promise<ExportedMessage[]> {
    const messages: ExportedMessage[] = [];
    for (;;) {
      const take = Math.min(EXPORT_PAGE_SIZE, limit - messages.length);
      const last = messages.at(-1);
      const page = await this.prisma.message.findMany({
        where: { chatId, ...(last ? { id: { gt: last.id } } : {}) },
        orderBy: { id: 'asc' },
        take,
        select: { id: true, role: true, status: true, content: true, error: true, createdAt: true, completedAt: true },
      });
      messages.push(...page);
      if (page.length < take || messages.length >= limit) return messages;
    }
  }
}
