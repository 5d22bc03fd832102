import type { Logger } from '../../logger.ts';
import { periodic } from '../../periodic.ts';
import type { ChannelConversationsService } from './conversations-service.ts';

export type IdleCloserOptions = {
  conversations: Pick<ChannelConversationsService, 'closeIdle'>;
  /** A conversation with no message for this long is closed (config.channels.conversationIdleCloseMs). */
  idleMs: number;
  logger: Logger;
  /**
   * How often to look.
   * @default a quarter of `idleMs`, between 250 ms and a minute
   */
  intervalMs?: number;
};

/** The most closed in one pass; a longer backlog is worked off pass after pass. */
const BATCH = 100;

/**
 * Closes OPEN conversations nobody wrote in for `idleMs`, emitting `conversation.closed`
 * (reason IDLE). Every instance runs one; each conversation is still closed only once.
 */
export class IdleCloser {
  private readonly looking: ReturnType<typeof periodic>;

  constructor(private readonly options: IdleCloserOptions) {
    const intervalMs = options.intervalMs ?? Math.min(60_000, Math.max(250, Math.floor(options.idleMs / 4)));
    this.looking = periodic(intervalMs, () => this.sweep());
  }

  start(): void {
    this.looking.start();
  }

  /** Stops looking and waits for a pass under way. */
  stop(): Promise<void> {
    return this.looking.stop();
  }

  /** One pass over the idle conversations; failures are logged, not thrown. */
  async sweep(): Promise<void> {
    try {
      const closed = await this.options.conversations.closeIdle(new Date(Date.now() - this.options.idleMs), BATCH);
      if (closed > 0) this.options.logger.info({ closed }, 'closed idle conversations');
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not close idle conversations');
    }
  }
}
