import type { Config } from '../../config.ts';
import type { Outbox } from '../events.ts';
import type { EffectKeys } from '../../events/effect-keys.ts';
import type { ChannelSession, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import type { OutboundHttp } from '../../outbound/http-client.ts';
import type { AgentCallObserver } from '../agents/calling/types.ts';
import { endpointOf } from '../agents/calling/agent-call.ts';
import { agentCaller, type AgentCaller } from '../agents/calling/caller.ts';
import type { AgentRequestBody } from '../agents/calling/types.ts';
import { MAX_MESSAGE_CHARS } from './sessions/input.ts';
import type { ChannelSender } from './contracts.ts';
import { recordOutbound, type OutboundRecord } from './ledger.ts';
import type { ReceivedMessageData } from './messages.ts';
import { ProviderError } from './provider-client.ts';

const SEND_FAILED = 'The message could not be sent';

/** The consumer of `message.received` that auto-replies; its job for a message is named by the message's id. */
export const AUTO_REPLY_CONSUMER = 'channels.auto-reply';

export type AutoRepliesDependencies = {
  prisma: PrismaClient;
  outbox: Outbox;
  sender: ChannelSender;
  caller: AgentCaller;
  effects: EffectKeys;
  logger: Logger;
  /** How many of the conversation's latest messages an agent is sent. */
  historyMessages: number;
  /** A message written longer ago than this is not answered. */
  maxAgeMs: number;
};

/**
 * Answers inbound channel messages as their session's auto-reply settings say: a fixed text
 * (TEXT) or an agent's reply (AGENT). It reacts to `message.received` as a durable job, so a
 * crash or a shutdown before the reply went out runs it again; the agent's answer, the send and
 * the recorded reply are each remembered by the message's id, so a retry neither asks the agent
 * again nor sends twice (only a crash between a send and its memo repeats it).
 */
export class AutoReplies {
  constructor(private readonly deps: AutoRepliesDependencies) {}

  /** The inbound messages among `events` whose session auto-replies: the others need no job. */
  async answerable<Event extends { data: ReceivedMessageData }>(db: Prisma.TransactionClient, events: Event[]): Promise<Event[]> {
    const inbound = events.filter((event) => event.data.direction === 'INBOUND');
    if (inbound.length === 0) return [];
    const replying = await db.channelSession.findMany({
      where: { id: { in: [...new Set(inbound.map((event) => event.data.sessionId))] }, autoReplyMode: { not: 'OFF' } },
      select: { id: true },
    });
    const ids = new Set(replying.map((session) => session.id));
    return inbound.filter((event) => ids.has(event.data.sessionId));
  }

  /** Replies to one stored message, unless it is not inbound or its session does not auto-reply (any more). */
  async replyTo(received: ReceivedMessageData, signal: AbortSignal): Promise<void> {
    const { prisma, effects, logger } = this.deps;
    if (received.direction !== 'INBOUND') return;
    const session = await prisma.channelSession.findUnique({ where: { id: received.sessionId } });
    if (!session || session.autoReplyMode === 'OFF') return;
    // As for the team's own messages, only a CONNECTED session sends.
    if (session.status !== 'CONNECTED') {
      logger.info({ sessionId: session.id, status: session.status }, 'not auto-replying: the session is not connected');
      return;
    }
    const sent = `auto-reply:${received.id}`;
    if (await effects.isDone(sent)) return;
    // Written this long ago (an outage, a retry schedule run out, a provider redelivering days later), a reply would come out of the blue.
    const ageMs = Date.now() - Date.parse(received.occurredAt);
    if (ageMs > this.deps.maxAgeMs && !(await effects.isDone(`${sent}:send`))) {
      logger.info({ sessionId: session.id, messageId: received.id, ageMs }, 'not auto-replying: the message is too old for a reply to make sense');
      return;
    }
    const text = session.autoReplyMode === 'TEXT' ? session.autoReplyText : await this.agentText(session, received, signal, `${sent}:agent`);
    if (!text?.trim()) return;
    const record = await effects.once(`${sent}:send`, () => this.sendThroughProvider(session, received, text));
    await this.deps.outbox.transaction(async (unit) => {
      // Read again: a reply sent since the message arrived may have set the first response time.
      const current = await unit.tx.channelConversation.findUniqueOrThrow({ where: { id: received.conversationId } });
      await recordOutbound(unit, session, current, record);
      await effects.record(unit.tx, sent);
    });
  }

  /** The agent's answer, remembered once it gave one: a retry does not ask again. A failed call is not remembered. */
  private async agentText(session: ChannelSession, received: ReceivedMessageData, signal: AbortSignal, key: string): Promise<string | null> {
    const remembered = await this.deps.effects.recall<string>(key);
    if (remembered !== undefined) return remembered;
    const text = await this.agentReply(session, received, signal);
    if (text !== null) await this.deps.effects.record(this.deps.prisma, key, text);
    return text;
  }

  /** Asks the session's agent; the tokens its model reports are recorded whether or not it gave a reply. */
  private async agentReply(session: ChannelSession, message: ReceivedMessageData, signal: AbortSignal): Promise<string | null> {
    const { prisma, caller, logger, historyMessages } = this.deps;
    const agentId = session.autoReplyAgentId;
    const agent = agentId ? await prisma.agent.findFirst({ where: { id: agentId, tenantId: session.tenantId, isActive: true } }) : null;
    if (!agent) {
      logger.warn({ sessionId: session.id, messageId: message.id }, 'auto-reply agent is missing or inactive; no reply sent');
      return null;
    }
    const history = await prisma.channelMessage.findMany({
      where: { conversationId: message.conversationId, id: { lte: message.id }, status: { not: 'FAILED' } },
      orderBy: { id: 'desc' },
      take: historyMessages,
    });
    const body: AgentRequestBody = {
      messages: history.reverse().map((entry) => ({
        role: entry.direction === 'INBOUND' ? 'user' : 'assistant',
        content: entry.text,
        timestamp: entry.occurredAt.toISOString(),
      })),
      system_prompt: agent.systemPrompt,
      config: agent.config,
      chat_id: message.conversationId,
      message_id: message.id,
    };
    const calledAt = performance.now();
    const outcome = await caller.call({ ...endpointOf(agent), body, signal }, () => {});
    const durationMs = Math.round(performance.now() - calledAt);
    if (outcome.usage) {
      const usage = { tenantId: session.tenantId, agentId: agent.id, purpose: 'AUTO_REPLY' as const, replyToId: message.id, ...outcome.usage };
      // Losing the count is better than throwing away a reply that was paid for, and asking again.
      await prisma.agentUsage.create({ data: usage }).catch((error: unknown) => logger.error({ err: error, ...usage }, 'could not record token usage'));
    }
    logger.info({ tenantId: session.tenantId, sessionId: session.id, messageId: message.id, agentId: agent.id, outcome: outcome.kind, durationMs }, 'auto-reply agent call ended');
    if (outcome.kind === 'completed') return outcome.content;
    // Stopping: the job is handed back, and the agent asked again after the restart.
    if (outcome.kind !== 'failed') throw new Error('the server is stopping');
    logger.warn({ sessionId: session.id, messageId: message.id, agentId: agent.id, reason: outcome.reason }, 'auto-reply agent gave no reply');
    return null;
  }

  /** Sends through the provider (none for the website widget); a refusal is an outcome to record, not an error. */
  private async sendThroughProvider(session: ChannelSession, received: ReceivedMessageData, text: string): Promise<OutboundRecord> {
    const { sender, logger } = this.deps;
    const record: OutboundRecord = { text, providerMessageId: null, status: 'SENT' };
    if (session.channel === 'WEBSITE') return record;
    try {
      return { ...record, providerMessageId: (await sender.send(session, received.contact.externalId, text)).providerMessageId };
    } catch (error) {
      logger.warn({ err: error, sessionId: session.id, conversationId: received.conversationId }, 'auto-reply could not be sent');
      return { ...record, status: 'FAILED', error: error instanceof ProviderError ? error.message : SEND_FAILED };
    }
  }
}

/** Auto-replies with their own agent client: a reply must fit one channel message, so a longer one fails and is not sent. */
export function createAutoReplies(deps: {
  config: Config;
  prisma: PrismaClient;
  outbox: Outbox;
  sender: ChannelSender;
  effects: EffectKeys;
  logger: Logger;
  /** The client agents are called with. */
  agentHttp: OutboundHttp;
  observeAgentCall?: AgentCallObserver;
}): AutoReplies {
  const { config } = deps;
  const caller = agentCaller(deps.agentHttp, config.agents, MAX_MESSAGE_CHARS, deps.observeAgentCall);
  return new AutoReplies({
    ...deps,
    caller,
    logger: deps.logger.child({ service: 'auto-replies' }),
    historyMessages: config.agents.historyMessages,
    maxAgeMs: config.channels.autoReplyMaxAgeMs,
  });
}
