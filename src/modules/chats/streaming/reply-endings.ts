import type { Message } from '../../../generated/prisma/client.ts';
import type { Logger } from '../../../logger.ts';
import { isBackingServiceOutage } from '../../../outage.ts';
import type { MessageStreams } from './message-streams.ts';
import type { FinalState, ReplyStore } from './reply-store.ts';
import { terminalEventOf, type StreamEventMessage } from './stream-event.ts';

const INTERRUPTED = 'The reply was interrupted (the server answering it stopped); send the message again';
const CHAT_DELETED = 'The chat was deleted while the agent was answering';

/**
 * How replies end. The end is claimed in the stream's log first, so that exactly one of the
 * generator, a forced cancel and the sweeper ends a reply; the winner stores the final state
 * and publishes the last event. Also ends replies whose generator is gone (an instance crashed,
 * or a cancel found nobody running it), from what their stream logged. While the log (Redis)
 * cannot be reached, the generator ends its reply in the database alone: only a reply still
 * STREAMING is finished there, so that still happens once, and the database row is what
 * followers end with.
 */
export class ReplyEndings {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { streams: MessageStreams; store: ReplyStore; logger: Logger; maxReplyMs: number },
  ) {}

  /**
   * Null when another ended the reply first. `nextSeq` is one past the last event the caller
   * logged: the last event is numbered after every event a follower may have received.
   */
  async finish(tenantId: string, messageId: string, final: Omit<FinalState, 'lastSeq'>, nextSeq = 1): Promise<Message | null> {
    const { streams, store } = this.deps;
    const seq = await streams.claimEnd(tenantId, messageId, nextSeq).catch((error: unknown) => {
      if (isBackingServiceOutage(error)) return 'unreachable' as const;
      throw error;
    });
    if (seq === 'unreachable') return this.finishUnlogged(tenantId, messageId, final, nextSeq);
    if (seq === null) return null;
    const message = await store.finish(tenantId, messageId, { ...final, lastSeq: seq });
    await streams.publishEnd(tenantId, message ? terminalEventOf(message) : await this.lastEventWithoutUpdate(tenantId, messageId, seq));
    return message;
  }

  /** Ends a reply that no generator runs any more, keeping what it streamed. */
  async endOrphan(tenantId: string, messageId: string, status: 'CANCELLED' | 'FAILED'): Promise<Message | null> {
    const logged = await this.deps.streams.logged(tenantId, messageId);
    const content = logged.map((event) => (event.type === 'TOKEN' ? (event.delta ?? '') : '')).join('');
    return this.finish(tenantId, messageId, { status, content, error: status === 'FAILED' ? INTERRUPTED : null });
  }

  /** Every minute, fails replies that outlived the longest a reply may take. */
  startSweeping(intervalMs = 60_000): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs);
    this.sweeper.unref();
  }

  stopSweeping(): void {
    clearInterval(this.sweeper);
  }

  /** Fails replies still streaming that started before `startedBefore` (default: too long ago to be running). */
  async sweep(startedBefore = new Date(Date.now() - this.deps.maxReplyMs - 60_000)): Promise<void> {
    try {
      for (const { tenantId, id } of await this.deps.store.stale(startedBefore)) await this.endOrphan(tenantId, id, 'FAILED');
    } catch (error) {
      this.deps.logger.error({ err: error }, 'could not end interrupted replies');
    }
  }

  /**
   * Ends the reply in the database alone. Its last event skips one seq: the append whose answer
   * was lost with the connection may have reached the log all the same.
   */
  private async finishUnlogged(tenantId: string, messageId: string, final: Omit<FinalState, 'lastSeq'>, nextSeq: number) {
    const message = await this.deps.store.finish(tenantId, messageId, { ...final, lastSeq: nextSeq + 1 });
    this.deps.logger.warn({ messageId, ended: message !== null }, 'ended a reply while its stream log is unreachable');
    // Heard only if Redis is back already; a follower that missed it finds the row.
    if (message) await this.deps.streams.publishEnd(tenantId, terminalEventOf(message)).catch(() => {});
    return message;
  }

  /** The last event when the row could not be finished: it is gone with its chat, or it was ended outside the log. */
  private async lastEventWithoutUpdate(tenantId: string, messageId: string, seq: number): Promise<StreamEventMessage> {
    const row = await this.deps.store.find(tenantId, messageId);
    if (row) return { ...terminalEventOf(row), seq };
    return { messageId, seq, type: 'ERROR', status: 'FAILED', error: CHAT_DELETED };
  }
}
