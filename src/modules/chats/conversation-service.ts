import { z } from 'zod';
import type { Viewer } from '../../auth/viewer.ts';
import { listenToDomainEvents, type AppEventMessage, type Outbox } from '../events.ts';
import { AppError, badInput } from '../../errors.ts';
import type { Message, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { AsyncQueue } from '../../pubsub/queue.ts';
import { jsonObject, parseInput, withoutNul } from '../../validation.ts';
import { attachToMessage, MAX_ATTACHMENTS_PER_MESSAGE } from './attachments.ts';
import { advanceReadMarker } from './read-markers.ts';
import { findVisibleChat, findVisibleMessage } from './access.ts';
import { fromMessageJson, isFinal, toMessageJson } from './message-json.ts';
import type { MessageStreams } from './streaming/message-streams.ts';
import type { ReplyEndings } from './streaming/reply-endings.ts';
import type { ReplyGenerator, ReplyJob } from './streaming/reply-generator.ts';
import type { ReplyStore } from './streaming/reply-store.ts';
import { isTerminal, terminalEventOf, type StreamEventMessage, type TypingMessage } from './streaming/stream-event.ts';

const sendInput = z.object({
  chatId: z.string().min(1, 'is required'),
  content: withoutNul(z.string().max(32_000, 'must be at most 32000 characters')).refine(
    (text) => text.trim().length > 0,
    'must not be empty',
  ),
  metadata: jsonObject(16_384).nullish(),
  attachmentIds: z
    .array(z.string().min(1))
    .max(MAX_ATTACHMENTS_PER_MESSAGE, `must be at most ${MAX_ATTACHMENTS_PER_MESSAGE}`)
    .transform((ids) => [...new Set(ids)])
    .nullish(),
});

export type SendMessageInput = z.input<typeof sendInput>;

export type ChatEvent =
  | { type: 'MESSAGE_CREATED' | 'MESSAGE_UPDATED'; chatId: string; message: Message; typing: null }
  | { type: 'TYPING'; chatId: string; message: null; typing: TypingMessage };

/** How long a typing indicator lasts unless renewed. */
const TYPING_TTL_MS = 6000;
/** How long `cancelMessage` waits for the instance running the reply before ending it itself. */
const CANCEL_WAIT_MS = 3000;

/** Sending messages, cancelling replies, and following replies and chats live. */
export class ConversationService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      pubsub: PubSub;
      streams: MessageStreams;
      store: ReplyStore;
      generator: ReplyGenerator;
      endings: ReplyEndings;
      historyMessages: number;
    },
  ) {}

  /**
   * Stores the user's message and an empty STREAMING reply in one transaction and answers
   * with both at once; the agent is called after the commit and streams into the reply.
   */
  async send(viewer: Viewer, input: SendMessageInput) {
    const { chatId, content, metadata, attachmentIds } = parseInput(sendInput, input);
    const { tenantId } = viewer;
    const { userMessage, assistantMessage, job } = await this.deps.outbox.transaction(async ({ tx, emitAll }) => {
      const chat = await findVisibleChat(tx, viewer, chatId);
      const agent = chat.agentId ? await tx.agent.findFirst({ where: { id: chat.agentId, tenantId } }) : null;
      if (!agent) throw new AppError('CONFLICT', "This chat's agent was deleted; start a new chat to go on", { field: 'chatId' });
      if (!agent.isActive) throw new AppError('CONFLICT', "This chat's agent is inactive", { field: 'chatId' });
      const now = new Date();
      // The chat's row first: sends to one chat then commit in the order of their message ids, which read markers count on.
      await tx.chat.update({ where: { id: chatId }, data: { lastMessageAt: now } });
      const userMessage = await tx.message.create({
        data: { tenantId, chatId, role: 'USER', content, status: 'COMPLETED', completedAt: now, metadata: (metadata ?? {}) as Prisma.InputJsonObject },
      });
      await attachToMessage(tx, viewer, chatId, userMessage.id, attachmentIds ?? []);
      const assistantMessage = await tx.message.create({ data: { tenantId, chatId, role: 'ASSISTANT', status: 'STREAMING' } });
      // What you write you have read: the reply after it is what is unread.
      await advanceReadMarker(tx, viewer, chatId, userMessage.id);
      await emitAll(
        [userMessage, assistantMessage].map((message) => ({ tenantId, type: 'chat.message_created' as const, data: toMessageJson(message) })),
      );
      const job: ReplyJob = {
        tenantId,
        messageId: assistantMessage.id,
        agent,
        body: {
          messages: await this.deps.store.history(tx, chatId, this.deps.historyMessages),
          system_prompt: agent.systemPrompt,
          config: agent.config,
          chat_id: chatId,
          message_id: assistantMessage.id,
        },
      };
      return { userMessage, assistantMessage, job };
    });
    this.deps.generator.start(job);
    return { userMessage, assistantMessage };
  }

  /**
   * Stops a streaming reply, keeping what arrived, and answers it CANCELLED. The instance
   * running it aborts the agent call; if none answers in time, the reply is ended here.
   * A reply already finished is answered as it is.
   */
  async cancel(viewer: Viewer, messageId: string): Promise<Message> {
    const message = await findVisibleMessage(this.deps.prisma, viewer, messageId);
    if (message.role !== 'ASSISTANT') throw badInput('messageId', 'Only assistant replies can be cancelled');
    if (isFinal(message.status)) return message;
    const { tenantId } = viewer;
    const stream = await this.deps.streams.follow(tenantId, messageId, message.lastSeq, () => this.finalEventOf(tenantId, messageId));
    try {
      if (!this.deps.generator.cancelHere(messageId)) {
        await this.deps.pubsub.publish('messageCancelRequested', tenantId, { messageId }, messageId);
      }
      if (!(await endsWithin(stream, CANCEL_WAIT_MS))) await this.deps.endings.endOrphan(tenantId, messageId, 'CANCELLED');
    } finally {
      await stream.return();
    }
    return this.deps.prisma.message.findUniqueOrThrow({ where: { id: messageId } });
  }

  async setTyping(viewer: Viewer, chatId: string, isTyping: boolean): Promise<TypingMessage> {
    await findVisibleChat(this.deps.prisma, viewer, chatId);
    const typing = { chatId, userId: viewer.userId, isTyping, expiresAt: new Date(Date.now() + TYPING_TTL_MS).toISOString() };
    await this.deps.pubsub.publish('chatTyping', viewer.tenantId, typing, chatId);
    return typing;
  }

  /** A reply's stream from `afterSeq` (replayed, then live) to its last event. */
  async followMessage(viewer: Viewer, messageId: string, afterSeq: number | null | undefined) {
    if (afterSeq != null && afterSeq < 0) throw badInput('afterSeq', 'afterSeq must be 0 or more');
    const message = await findVisibleMessage(this.deps.prisma, viewer, messageId);
    if (message.role !== 'ASSISTANT') throw badInput('messageId', 'Only assistant replies stream');
    return this.deps.streams.follow(viewer.tenantId, messageId, afterSeq ?? 0, () => this.finalEventOf(viewer.tenantId, messageId));
  }

  /** New messages, status changes and typing in one chat, live. */
  async followChat(viewer: Viewer, chatId: string): Promise<AsyncIterableIterator<ChatEvent>> {
    await findVisibleChat(this.deps.prisma, viewer, chatId);
    const { tenantId } = viewer;
    const stops: (() => Promise<void>)[] = [];
    const queue = new AsyncQueue<ChatEvent>(async () => {
      await Promise.allSettled(stops.map((stop) => stop()));
    });
    const onMessage = (type: 'MESSAGE_CREATED' | 'MESSAGE_UPDATED') => (event: AppEventMessage<'chat.message_created' | 'chat.message_updated'>) => {
      const json = event.data;
      if (json.chatId === chatId) queue.push({ type, chatId, message: fromMessageJson(json, tenantId), typing: null });
    };
    try {
      stops.push(
        await listenToDomainEvents(this.deps.pubsub, tenantId, 'chat.message_created', onMessage('MESSAGE_CREATED')),
        await listenToDomainEvents(this.deps.pubsub, tenantId, 'chat.message_updated', onMessage('MESSAGE_UPDATED')),
        await this.deps.pubsub.listen('chatTyping', tenantId, chatId, (typing) => queue.push({ type: 'TYPING', chatId, message: null, typing })),
      );
    } catch (error) {
      await queue.return();
      throw error;
    }
    return queue;
  }

  /** The terminal event of a reply that already finished, rebuilt from its row. */
  private async finalEventOf(tenantId: string, messageId: string): Promise<StreamEventMessage | null> {
    const message = await this.deps.prisma.message.findFirst({ where: { id: messageId, tenantId } });
    return message && isFinal(message.status) ? terminalEventOf(message) : null;
  }
}

/** Whether the stream reaches its last event within `ms`. */
async function endsWithin(stream: AsyncIterableIterator<StreamEventMessage>, ms: number): Promise<boolean> {
  const drained = (async () => {
    for await (const event of stream) if (isTerminal(event)) return true;
    return true;
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([drained, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
