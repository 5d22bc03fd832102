import type { EffectKeys } from '../../events/effect-keys.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import { endpointOf } from '../agents/calling/agent-call.ts';
import { agentCaller, type AgentCaller } from '../agents/calling/caller.ts';
import type { AgentCallObserver } from '../agents/calling/types.ts';
import type { Config } from '../../config.ts';
import type { OutboundHttp } from '../../outbound/http-client.ts';
import type { ReceivedMessageData } from '../channels/messages.ts';
import type { Outbox } from '../events.ts';
import { classify } from './classifier.ts';
import { inboundTexts, lockLeadOf } from './conversation-leads.ts';
import { fallbackSignal, intentRequest, verdictOf, verdictSignal, type IntentVerdict } from './intent-verdict.ts';
import type { LeadRecorder } from './recorder.ts';

/** The consumer of `message.received` that asks the team's intent agent; its job for a message is named by the message's id. */
export const AI_INTENT_CONSUMER = 'leads.ai-intent';

/** What the agent said, remembered by the message's id: a verdict, or why there is none. */
type Answer = { verdict: IntentVerdict } | { reason: string };

/**
 * Lead intent decided by the agent a team chose (`setLeadIntentAgent`), after the rules have had
 * their say in the transaction that stored the message. Each inbound message asks the agent
 * again, with the conversation so far; a valid verdict sets the intent (`intentSource` AI) and
 * shows the model's reason among the signals, and when the call fails or the answer is invalid
 * the rules decide and a signal says why. A lead whose intent a person set is left alone. The
 * answer is remembered by the message's id, so a retried job does not ask (and pay) twice.
 */
export class AiIntent {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      recorder: LeadRecorder;
      caller: AgentCaller;
      effects: EffectKeys;
      logger: Logger;
    },
  ) {}

  /** The inbound messages among `events` whose team has an intent agent: the others need no job. */
  async classifiable<Event extends { data: ReceivedMessageData }>(db: Prisma.TransactionClient, events: Event[]): Promise<Event[]> {
    const inbound = events.filter((event) => event.data.direction === 'INBOUND');
    if (inbound.length === 0) return [];
    const sessions = await db.channelSession.findMany({
      where: { id: { in: [...new Set(inbound.map((event) => event.data.sessionId))] }, tenant: { intentAgent: { isActive: true } } },
      select: { id: true },
    });
    const ids = new Set(sessions.map((session) => session.id));
    return inbound.filter((event) => ids.has(event.data.sessionId));
  }

  async classify(tenantId: string, received: ReceivedMessageData, signal: AbortSignal): Promise<void> {
    const { prisma, effects } = this.deps;
    const lead = await prisma.lead.findUnique({ where: { conversationId: received.conversationId } });
    const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { intentAgent: true } });
    const agent = tenant?.intentAgent;
    if (!lead || lead.tenantId !== tenantId || lead.intentSource === 'OVERRIDE' || !agent?.isActive) return;
    if (!(await this.isLatest(received))) return;
    const key = `lead-intent:${received.id}`;
    let answer = await effects.recall<Answer>(key);
    if (!answer) {
      answer = await this.ask(tenantId, agent, received, lead.notes, signal);
      await effects.record(prisma, key, answer);
    }
    await this.apply(tenantId, received, answer);
  }

  /** A later message of the conversation makes a job of its own, with more to go on. */
  private async isLatest(received: ReceivedMessageData, db: Prisma.TransactionClient = this.deps.prisma): Promise<boolean> {
    const later = await db.channelMessage.count({
      where: { conversationId: received.conversationId, direction: 'INBOUND', id: { gt: received.id } },
    });
    return later === 0;
  }

  private async ask(
    tenantId: string,
    agent: Parameters<typeof endpointOf>[0] & { id: string; config: Prisma.JsonValue },
    received: ReceivedMessageData,
    notes: string | null,
    signal: AbortSignal,
  ): Promise<Answer> {
    const { prisma, caller, logger } = this.deps;
    const texts = await inboundTexts(prisma, received.conversationId);
    const body = intentRequest({ texts, notes, occurredAt: received.occurredAt, conversationId: received.conversationId, messageId: received.id, config: agent.config });
    const outcome = await caller.call({ ...endpointOf(agent), body, signal }, () => {});
    if (outcome.usage) {
      await prisma.agentUsage.create({ data: { tenantId, agentId: agent.id, purpose: 'LEAD_INTENT', replyToId: received.id, ...outcome.usage } });
    }
    // Stopping: the job is handed back, and the agent asked again after the restart.
    if (outcome.kind === 'cancelled') throw new Error('the server is stopping');
    const answer = outcome.kind === 'failed' ? { reason: outcome.reason } : verdictOf(outcome.content);
    if ('reason' in answer) logger.warn({ tenantId, agentId: agent.id, messageId: received.id, reason: answer.reason }, 'lead intent: the rules decide');
    return answer;
  }

  /** Writes the verdict, or the rules' with why, unless a person set the intent meanwhile. */
  private apply(tenantId: string, received: ReceivedMessageData, answer: Answer): Promise<unknown> {
    return this.deps.outbox.transaction(async (unit) => {
      const lead = await lockLeadOf(unit.tx, tenantId, received.conversationId);
      // Checked again under the lock: a later message's verdict, applied meanwhile, must stand.
      if (!lead || lead.intentSource === 'OVERRIDE' || !(await this.isLatest(received, unit.tx))) return;
      const rules = classify({ messages: await inboundTexts(unit.tx, received.conversationId), notes: lead.notes });
      const next =
        'verdict' in answer
          ? { intent: answer.verdict.intent, score: answer.verdict.score, intentSource: 'AI' as const, signals: [...rules.signals, verdictSignal(answer.verdict)] }
          : { ...rules, intentSource: 'RULES' as const, signals: [...rules.signals, fallbackSignal(answer.reason)] };
      await this.deps.recorder.update(unit, lead, next);
    });
  }
}

/** A verdict is a short JSON object: an answer longer than this is not one. */
const MAX_VERDICT_CHARS = 4_000;

/** The AI intent consumer with its own agent client, sized for verdicts. */
export function createAiIntent(deps: {
  config: Config;
  prisma: PrismaClient;
  outbox: Outbox;
  recorder: LeadRecorder;
  effects: EffectKeys;
  logger: Logger;
  /** The client agents are called with. */
  agentHttp: OutboundHttp;
  observeAgentCall?: AgentCallObserver;
}): AiIntent {
  const caller = agentCaller(deps.agentHttp, deps.config.agents, MAX_VERDICT_CHARS, deps.observeAgentCall);
  return new AiIntent({ ...deps, caller, logger: deps.logger.child({ service: 'lead-intent' }) });
}
