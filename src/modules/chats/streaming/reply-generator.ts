import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../../logger.ts';
import type { PubSub } from '../../../pubsub/pubsub.ts';
import { endpointOf, type CallableAgent } from '../../agents/calling/agent-call.ts';
import type { AgentCaller } from '../../agents/calling/caller.ts';
import type { AgentReplyOutcome, AgentRequestBody } from '../../agents/calling/types.ts';
import type { MessageStreams } from './message-streams.ts';
import type { ReplyEndings } from './reply-endings.ts';
import type { FinalState } from './reply-store.ts';
import type { StreamEventMessage } from './stream-event.ts';

export type ReplyJob = {
  tenantId: string;
  messageId: string;
  agent: CallableAgent & { id: string };
  body: AgentRequestBody;
};

const SHUTDOWN = 'shutdown';
const ENDED_ELSEWHERE = 'ended elsewhere';
const SHUTDOWN_REASON = 'The server stopped while the agent was answering; send the message again';

/**
 * Runs assistant replies on this instance: calls the agent, streams every piece, then ends the
 * reply. A reply runs to its end whoever listens; only `cancel` (from any instance), an end
 * forced elsewhere (the log then refuses its events) or shutdown stops it early. When its stream
 * cannot be logged (Redis down, or restarted and its log lost), the reply stops streaming but
 * goes on: its last event and its row carry everything the agent said.
 */
export class ReplyGenerator {
  private readonly running = new Map<string, AbortController>();
  private readonly finished = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly deps: { caller: AgentCaller; streams: MessageStreams; endings: ReplyEndings; pubsub: PubSub; logger: Logger },
  ) {}

  start(job: ReplyJob): void {
    const work = this.stopping ? this.endAtShutdown(job) : this.run(job);
    const run = work.catch((error: unknown) =>
      this.deps.logger.error({ err: error, messageId: job.messageId }, 'assistant reply failed unexpectedly'),
    );
    this.finished.add(run);
    void run.finally(() => this.finished.delete(run));
  }

  /** Aborts a reply running here; false when this instance is not running it. */
  cancelHere(messageId: string): boolean {
    const controller = this.running.get(messageId);
    controller?.abort('cancelled');
    return controller !== undefined;
  }

  /**
   * Waits for the replies running here, and those that start meanwhile, to end by themselves,
   * for `graceMs` at the most; `stop` then ends what is left.
   */
  async settle(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.finished.size > 0 && Date.now() < deadline) {
      const timeUp = new AbortController();
      const waited = delay(deadline - Date.now(), undefined, { signal: timeUp.signal }).catch(() => {});
      await Promise.race([Promise.allSettled([...this.finished]), waited]);
      timeUp.abort();
    }
  }

  /** Ends every reply running here as FAILED (the user did not cancel them) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    while (this.finished.size > 0) {
      for (const controller of this.running.values()) controller.abort(SHUTDOWN);
      await Promise.allSettled([...this.finished]);
    }
  }

  private async run(job: ReplyJob): Promise<void> {
    const { tenantId, messageId } = job;
    const { caller, streams, endings, pubsub, logger } = this.deps;
    const controller = new AbortController();
    this.running.set(messageId, controller);
    // Without it a cancel from another instance still wins: it ends the stream, and the log then refuses this one's events.
    const unlisten = await pubsub
      .listen('messageCancelRequested', tenantId, messageId, () => controller.abort('cancelled'))
      .catch((error: unknown) => {
        logger.error({ err: error, messageId }, 'cannot hear cancel requests from other instances for this reply');
        return async () => {};
      });
    let published = Promise.resolve();
    let nextSeq = 1;
    let streaming = true;
    const stopStreaming = (reason: unknown) => {
      streaming = false;
      logger.warn({ err: reason, messageId }, 'the reply stopped streaming: its stream log failed; it goes on and ends with its whole content');
    };
    const emit = (event: Omit<StreamEventMessage, 'messageId' | 'seq'>) => {
      published = published
        .then(async () => {
          if (controller.signal.aborted || !streaming) return;
          const outcome = await streams.publish(tenantId, { ...event, messageId }, nextSeq);
          if (outcome === 'appended') nextSeq++;
          else if (outcome === 'ended') controller.abort(ENDED_ELSEWHERE);
          else stopStreaming('the stream log lost its earlier events');
        })
        .catch(stopStreaming);
    };
    try {
      emit({ type: 'STATUS', status: 'STREAMING' });
      await published;
      if (controller.signal.aborted && controller.signal.reason === ENDED_ELSEWHERE) return;
      const calledAt = performance.now();
      const outcome = await caller.call(
        { ...endpointOf(job.agent), body: job.body, signal: controller.signal },
        (delta) => emit({ type: 'TOKEN', status: 'STREAMING', delta }),
      );
      const durationMs = Math.round(performance.now() - calledAt);
      logger.info({ tenantId, messageId, outcome: outcome.kind, reason: 'reason' in outcome ? outcome.reason : undefined, durationMs }, 'agent call ended');
      await published;
      if (controller.signal.reason === ENDED_ELSEWHERE) return;
      const usage = outcome.usage ? { agentId: job.agent.id, ...outcome.usage } : null;
      await endings.finish(tenantId, messageId, { ...finalStateOf(outcome, controller.signal.reason), usage }, nextSeq);
    } finally {
      this.running.delete(messageId);
      await unlisten().catch(() => {});
    }
  }

  private async endAtShutdown(job: ReplyJob): Promise<void> {
    await this.deps.endings.finish(job.tenantId, job.messageId, { status: 'FAILED', content: '', error: SHUTDOWN_REASON });
  }
}

function finalStateOf(outcome: AgentReplyOutcome, abortReason: unknown): Omit<FinalState, 'lastSeq'> {
  const { content } = outcome;
  if (outcome.kind === 'completed') return { status: 'COMPLETED', content, error: null };
  if (outcome.kind === 'failed') return { status: 'FAILED', content, error: outcome.reason };
  return abortReason === SHUTDOWN
    ? { status: 'FAILED', content, error: SHUTDOWN_REASON }
    : { status: 'CANCELLED', content, error: null };
}
