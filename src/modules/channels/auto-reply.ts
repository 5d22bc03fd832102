import type { Config } from '../../config.ts';
import type { Outbox } from '../events.ts';
import type { ChannelMessage, PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import type { OutboundHttp } from '../../outbound/http-client.ts';
import { AgentCaller } from '../chats/agent-reply/caller.ts';
import type { AgentRequestBody } from '../chats/agent-reply/types.ts';
import { MAX_MESSAGE_CHARS } from '../sessions/input.ts';
import type { ChannelSender, Received } from './contracts.ts';
import { recordOutbound, type OutboundRecord } from './ledger.ts';
import { ProviderError } from './provider-client.ts';

const SEND_FAILED = 'The message could not be sent';

type Stored = Received & { message: ChannelMessage };

export type AutoRepliesDependencies = {
  prisma: PrismaClient;
  outbox: Outbox;
  sender: ChannelSender;
  caller: AgentCaller;
  logger: Logger;
  /** How many of the conversation's latest messages an agent is sent. */
  historyMessages: number;
};

/**
 * Answers inbound channel messages as their session's auto-reply settings say: a fixed text
 * (TEXT) or an agent's reply (AGENT). It runs after the message is committed, off the request
 * that stored it, once per stored message: a redelivery stores nothing, so nothing runs again.
 */
export class AutoReplies {
  private readonly running = new Map<string, Promise<ChannelMessage | null>>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: AutoRepliesDependencies) {}

  /** The Inbox's after-commit listener; starts the reply and returns at once. */
  readonly onReceived = (received: Received): void => {
    const { session, message } = received;
    if (!message || message.direction !== 'INBOUND' || session.autoReplyMode === 'OFF') return;
    // As for the team's own messages, only a CONNECTED session sends.
    if (session.status !== 'CONNECTED') {
      this.deps.logger.info({ sessionId: session.id, status: session.status }, 'not auto-replying: the session is not connected');
      return;
    }
    if (this.stopping.signal.aborted) {
      this.deps.logger.warn({ sessionId: session.id, messageId: message.id }, 'not auto-replying: the server is stopping');
      return;
    }
    const run = this.reply({ ...received, message }).catch((error: unknown) => {
      this.deps.logger.error({ err: error, sessionId: session.id, messageId: message.id }, 'auto-reply failed unexpectedly');
      return null;
    });
    this.running.set(message.id, run);
    void run.finally(() => this.running.delete(message.id));
  };

  /**
   * The auto-reply to an inbound message once it is stored, or null when none is running on
   * this instance or it takes longer than `waitMs` (it still goes out then).
   */
  async replyTo(messageId: string, waitMs: number): Promise<ChannelMessage | null> {
    const run = this.running.get(messageId);
    if (!run) return null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, waitMs, null)));
    try {
      return await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Aborts agent calls (their messages get no reply), lets sends finish, and waits for every reply here. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private async reply(received: Stored): Promise<ChannelMessage | null> {
    const { session } = received;
    const text = session.autoReplyMode === 'TEXT' ? session.autoReplyText : await this.agentReply(received);
    if (!text?.trim()) return null;
    return this.send(received, text);
  }

  private async agentReply({ session, conversation, message }: Stored): Promise<string | null> {
    const { prisma, caller, logger, historyMessages } = this.deps;
    const agentId = session.autoReplyAgentId;
    const agent = agentId ? await prisma.agent.findFirst({ where: { id: agentId, tenantId: session.tenantId, isActive: true } }) : null;
    if (!agent) {
      logger.warn({ sessionId: session.id, messageId: message.id }, 'auto-reply agent is missing or inactive; no reply sent');
      return null;
    }
    const history = await prisma.channelMessage.findMany({
      where: { conversationId: conversation.id, id: { lte: message.id }, status: { not: 'FAILED' } },
      orderBy: { id: 'desc' },
      take: historyMessages,
    });
    const body: AgentRequestBody = {
      messages: history.reverse().map((entry) => ({ role: entry.direction === 'INBOUND' ? 'user' : 'assistant', content: entry.text })),
      system_prompt: agent.systemPrompt,
      config: agent.config,
      chat_id: conversation.id,
      message_id: message.id,
    };
    const call = { url: agent.webhookUrl, token: agent.webhookToken, body, signal: this.stopping.signal };
    const outcome = await caller.call(call, () => {});
    if (outcome.kind === 'completed') return outcome.content;
    const reason = outcome.kind === 'failed' ? outcome.reason : 'the server stopped';
    logger.warn({ sessionId: session.id, messageId: message.id, agentId: agent.id, reason }, 'auto-reply agent gave no reply');
    return null;
  }

  /** Sends through the provider (none for the website widget), then records the outcome with `message.sent`. */
  private async send({ session, contact, conversation }: Stored, text: string): Promise<ChannelMessage> {
    const { outbox, sender, logger } = this.deps;
    let record: OutboundRecord = { text, providerMessageId: null, status: 'SENT' };
    if (session.channel !== 'WEBSITE') {
      try {
        record.providerMessageId = (await sender.send(session, contact.externalId, text)).providerMessageId;
      } catch (error) {
        logger.warn({ err: error, sessionId: session.id, conversationId: conversation.id }, 'auto-reply could not be sent');
        record = { ...record, status: 'FAILED', error: error instanceof ProviderError ? error.message : SEND_FAILED };
      }
    }
    return outbox.transaction(async (unit) => {
      // Read again: a reply sent since the message arrived may have set the first response time.
      const current = await unit.tx.channelConversation.findUniqueOrThrow({ where: { id: conversation.id } });
      return recordOutbound(unit, session, current, record);
    });
  }
}

/** Auto-replies with their own agent client: a reply must fit one channel message, so a longer one fails and is not sent. */
export function createAutoReplies(deps: {
  config: Config;
  prisma: PrismaClient;
  outbox: Outbox;
  sender: ChannelSender;
  logger: Logger;
  /** The client agents are called with. */
  agentHttp: OutboundHttp;
}): AutoReplies {
  const { config } = deps;
  const caller = new AgentCaller(deps.agentHttp, {
    idleTimeoutMs: config.agents.idleTimeoutMs,
    maxDurationMs: config.agents.maxDurationMs,
    maxContentChars: MAX_MESSAGE_CHARS,
  });
  return new AutoReplies({
    ...deps,
    caller,
    logger: deps.logger.child({ service: 'auto-replies' }),
    historyMessages: config.agents.historyMessages,
  });
}
