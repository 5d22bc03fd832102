import { filter, map, pipe } from 'graphql-yoga';
import { boundSessionOf, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { domainEvents, type Outbox, type UnitOfWork } from '../events.ts';
import { notFound } from '../../errors.ts';
import type { ChannelMessage, ConversationStatus, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { conversationEventData, fromChannelMessageJson, type ReceivedMessageData } from './messages.ts';

type ConversationProjection = Projection<Prisma.ChannelConversationInclude, Prisma.ChannelConversationSelect>;
/** A Prisma projection and page (take/skip/cursor), as Pothos computes them for a connection. */
type ConversationPage = Omit<Prisma.ChannelConversationFindManyArgs, 'where' | 'orderBy'>;

export type ConversationFilter = { sessionId?: string | null; status?: ConversationStatus | null };

/** Why a conversation was closed, as `conversation.closed` says. */
export type CloseReason = 'MANUAL' | 'IDLE';

/**
 * Channel conversations as the team reads and closes them: always within the viewer's tenant,
 * and within its own session for a session API key; anything else answers NOT_FOUND alike.
 */
export class ChannelConversationsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly pubsub: PubSub,
  ) {}

  /** Newest first; a session the viewer cannot reach simply matches nothing. */
  list(viewer: Viewer, { sessionId, status }: ConversationFilter, page: ConversationPage) {
    const where = { AND: [reachable(viewer), { ...(sessionId ? { sessionId } : {}), ...(status ? { status } : {}) }] };
    return this.prisma.channelConversation.findMany({ ...page, where, orderBy: { id: 'desc' } });
  }

  async get(viewer: Viewer, id: string, projection: ConversationProjection = {}) {
    const conversation = await this.prisma.channelConversation.findFirst({ ...projection, where: { ...reachable(viewer), id } });
    if (!conversation) throw notFound('Conversation');
    return conversation;
  }

  /** Closes an OPEN conversation and emits `conversation.closed`; closing a CLOSED one changes nothing. */
  async close(viewer: Viewer, id: string, projection: ConversationProjection = {}) {
    await this.get(viewer, id, { select: { id: true } });
    await this.outbox.transaction((unit) => this.closeWhere(unit, { ...reachable(viewer), id }, 'MANUAL'));
    return this.get(viewer, id, projection);
  }

  /**
   * Closes up to `limit` OPEN conversations without a message since `idleSince`; resolves with
   * how many it closed. Safe on several instances at once: each is closed (and announced) once.
   */
  async closeIdle(idleSince: Date, limit = 100): Promise<number> {
    const idle = await this.prisma.channelConversation.findMany({
      where: { status: 'OPEN', lastMessageAt: { lt: idleSince } },
      select: { id: true, tenantId: true },
      orderBy: { lastMessageAt: 'asc' },
      take: limit,
    });
    let closed = 0;
    for (const { id, tenantId } of idle) {
      // The condition is checked again as it is written: a message that just arrived keeps it open.
      const where = { id, tenantId, lastMessageAt: { lt: idleSince } };
      if (await this.outbox.transaction((unit) => this.closeWhere(unit, where, 'IDLE'))) closed++;
    }
    return closed;
  }

  /** Inbound messages as they are stored: of one session when `sessionId` is given, or a session key's own. */
  async received(viewer: Viewer, sessionId: string | null): Promise<AsyncIterable<ChannelMessage>> {
    const { tenantId } = viewer;
    if (sessionId && !(await this.canReach(viewer, sessionId))) throw notFound('Session');
    const only = sessionId ?? boundSessionOf(viewer);
    return pipe(
      domainEvents(this.pubsub, tenantId, 'message.received'),
      map((event) => messageOf(event.data, tenantId)),
      filter((message) => !only || message.sessionId === only),
    );
  }

  /** Whether the session is the tenant's and, for a session API key, the key's own. */
  private async canReach(viewer: Viewer, sessionId: string): Promise<boolean> {
    const bound = boundSessionOf(viewer);
    if (bound && bound !== sessionId) return false;
    return (await this.prisma.channelSession.count({ where: { id: sessionId, tenantId: viewer.tenantId } })) > 0;
  }

  /** Closes the conversation if it is OPEN and matches `where`, emitting `conversation.closed`; true if it did. */
  private async closeWhere(unit: UnitOfWork, where: Prisma.ChannelConversationWhereInput, reason: CloseReason) {
    const now = new Date();
    const { count } = await unit.tx.channelConversation.updateMany({
      where: { ...where, status: 'OPEN' },
      data: { status: 'CLOSED', closedAt: now },
    });
    if (count === 0) return false;
    const { contact, ...conversation } = await unit.tx.channelConversation.findFirstOrThrow({ where, include: { contact: true } });
    await unit.emit(conversation.tenantId, 'conversation.closed', { ...conversationEventData(conversation, contact), reason });
    return true;
  }
}

/** The conversations the viewer may reach: the tenant's, or one session's for a session API key. */
function reachable(viewer: Viewer): { tenantId: string; sessionId?: string } {
  const bound = boundSessionOf(viewer);
  return { tenantId: viewer.tenantId, ...(bound ? { sessionId: bound } : {}) };
}

/** `message.received` carries the message with its channel and contact; the message alone is what subscribers get. */
function messageOf(data: ReceivedMessageData, tenantId: string): ChannelMessage {
  const { channel: _channel, contact: _contact, ...json } = data;
  return fromChannelMessageJson(json, tenantId);
}
