import type { Message } from '../../../generated/prisma/client.ts';
import type { Logger } from '../../../logger.ts';
import type { MessageStreams } from './message-streams.ts';
import type { FinalState, ReplyStore } from './reply-store.ts';
import { terminalEventOf } from './stream-event.ts';

const INTERRUPTED = 'The reply was interrupted (the server answering it stopped); send the message again';

/**
 * How replies end: the final state is stored once, then the stream's last event is published.
 * Also ends replies whose generator is gone (an instance crashed, or a cancel found nobody
 * running it), from what their stream logged, so no stream is left hanging.
 */
export class ReplyEndings {
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { streams: MessageStreams; store: ReplyStore; logger: Logger; maxReplyMs: number },
  ) {}

  async finish(tenantId: string, messageId: string, final: FinalState): Promise<Message | null> {
    const message = await this.deps.store.finish(tenantId, messageId, final);
    if (!message) return null;
    await this.deps.streams.publish(tenantId, terminalEventOf(message));
    return message;
  }

  /** Ends a reply that no generator runs any more, keeping what it streamed. */
  async endOrphan(tenantId: string, messageId: string, status: 'CANCELLED' | 'FAILED'): Promise<Message | null> {
    const logged = await this.deps.streams.logged(tenantId, messageId);
    const content = logged.map((event) => (event.type === 'TOKEN' ? event.delta ?? '' : '')).join('');
    const lastSeq = (logged.at(-1)?.seq ?? 0) + 1;
    return this.finish(tenantId, messageId, { status, content, error: status === 'FAILED' ? INTERRUPTED : null, lastSeq });
  }

  /** Every minute, fails replies that outlived the longest a reply may take. */
  startSweeping(intervalMs = 60_000): void {
    this.sweeper = setInterval(() => void this.sweep(), intervalMs);
    this.sweeper.unref();
  }

  stopSweeping(): void {
    clearInterval(this.sweeper);
  }

  async sweep(): Promise<void> {
    const graceMs = 60_000;
    try {
      const stale = await this.deps.store.stale(new Date(Date.now() - this.deps.maxReplyMs - graceMs));
      for (const { tenantId, id } of stale) await this.endOrphan(tenantId, id, 'FAILED');
    } catch (error) {
      this.deps.logger.error({ err: error }, 'could not end interrupted replies');
    }
  }
}
