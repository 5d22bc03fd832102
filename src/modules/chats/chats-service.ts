import { z } from 'zod';
import type { Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { badInput, notFound } from '../../errors.ts';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.ts';
import { displayName, jsonObject, parseInput } from '../../validation.ts';
import { assertChatOwner, findVisibleChat, visibleChatsWhere } from './access.ts';

export const DEFAULT_CHAT_TITLE = 'New chat';
/** Metadata is for a client's own bookkeeping (tags, a draft, UI state), not for documents. */
const MAX_METADATA_BYTES = 16 * 1024;

const title = displayName(200);

const metadata = jsonObject(MAX_METADATA_BYTES);

const createChatInput = z.object({
  agentId: z.string().min(1, 'must not be empty'),
  title: title.nullish().transform((value) => value ?? DEFAULT_CHAT_TITLE),
  metadata: metadata.nullish().transform((value) => value ?? {}),
  sharedWithTeam: z
    .boolean()
    .nullish()
    .transform((value) => value ?? false),
});

/** Null, like an omitted field, leaves the value as it is. */
const unchangedIfNull = <Schema extends z.ZodType>(schema: Schema) => schema.nullish().transform((value) => value ?? undefined);

const updateChatInput = z.object({
  title: unchangedIfNull(title),
  metadata: unchangedIfNull(metadata),
  archived: unchangedIfNull(z.boolean()),
  sharedWithTeam: unchangedIfNull(z.boolean()),
});

export type CreateChatInput = z.input<typeof createChatInput>;
export type UpdateChatInput = z.input<typeof updateChatInput>;
type ChatProjection = Projection<Prisma.ChatInclude, Prisma.ChatSelect>;

/** Chats as records: who may see, create, change and delete them. Messages are another service's. */
export class ChatsService {
  constructor(private readonly prisma: PrismaClient) {}

  /** A chat owned by the viewer with an active agent of their tenant; a foreign or missing agent answers NOT_FOUND. */
  async create(viewer: Viewer, input: CreateChatInput, projection: ChatProjection = {}) {
    const { agentId, ...fields } = parseInput(createChatInput, input);
    const agent = await this.prisma.agent.findFirst({ where: { id: agentId, tenantId: viewer.tenantId }, select: { isActive: true } });
    if (!agent) throw notFound('Agent');
    if (!agent.isActive) throw badInput('agentId', 'agent is inactive');
    try {
      return await this.prisma.chat.create({
        ...projection,
        data: { ...fields, agentId, tenantId: viewer.tenantId, ownerId: viewer.userId },
      });
    } catch (error) {
      // The agent was deleted between the check and the insert.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2003') throw notFound('Agent');
      throw error;
    }
  }

  /** The viewer's own chats and those shared with their team, newest first. */
  list(viewer: Viewer, options: { includeArchived: boolean }, query: Omit<Prisma.ChatFindManyArgs, 'where' | 'orderBy'>) {
    const where = options.includeArchived ? visibleChatsWhere(viewer) : { ...visibleChatsWhere(viewer), archived: false };
    return this.prisma.chat.findMany({ ...query, where, orderBy: { id: 'desc' } });
  }

  async get(viewer: Viewer, chatId: string, projection: ChatProjection = {}) {
    const chat = await this.prisma.chat.findFirst({ ...projection, where: { id: chatId, ...visibleChatsWhere(viewer) } });
    if (!chat) throw notFound('Chat');
    return chat;
  }

  /** Changes what the input names; only the owner may (others who see the chat get FORBIDDEN). */
  async update(viewer: Viewer, chatId: string, input: UpdateChatInput, projection: ChatProjection = {}) {
    const data = parseInput(updateChatInput, input);
    assertChatOwner(viewer, await findVisibleChat(this.prisma, viewer, chatId));
    try {
      return await this.prisma.chat.update({ ...projection, where: { id: chatId, tenantId: viewer.tenantId }, data });
    } catch (error) {
      // Deleted meanwhile.
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') throw notFound('Chat');
      throw error;
    }
  }

  /** Deletes the chat and, through the foreign key, its messages; only the owner may. */
  async delete(viewer: Viewer, chatId: string): Promise<string> {
    assertChatOwner(viewer, await findVisibleChat(this.prisma, viewer, chatId));
    const { count } = await this.prisma.chat.deleteMany({ where: { id: chatId, tenantId: viewer.tenantId, ownerId: viewer.userId } });
    if (count === 0) throw notFound('Chat');
    return chatId;
  }
}
