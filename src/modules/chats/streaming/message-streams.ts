import { AppError } from '../../../errors.ts';
import type { PubSub } from '../../../pubsub/pubsub.ts';
import { AsyncQueue } from '../../../pubsub/queue.ts';
import { isTerminal, type StreamEventMessage } from './stream-event.ts';
import type { AppendOutcome, StreamLog, UnsequencedEvent } from './stream-log.ts';

/** How often a follower that hears nothing asks the database whether its reply ended unheard. */
const FINAL_RECHECK_MS = 30_000;

/** Why a follower ends when this instance stops hearing live events (Redis went away). */
const interrupted = () =>
  new AppError('SERVICE_UNAVAILABLE', 'The live stream was interrupted; subscribe again with afterSeq set to the last seq you received', {
    retryAfterSeconds: 1,
  });

/**
 * Publishes reply streams and follows them from any seq. Every event is numbered and logged
 * before it is published, so an event heard live is always already in the log: a follower
 * that starts listening, then reads the log, then switches to live events misses nothing,
 * and drops by `seq` what it got twice.
 */
export class MessageStreams {
  constructor(
    private readonly pubsub: PubSub,
    private readonly log: StreamLog,
  ) {}

  /** Logs an event as number `seq` and publishes it; nothing is published unless it was logged. */
  async publish(tenantId: string, event: UnsequencedEvent, seq: number): Promise<AppendOutcome> {
    const outcome = await this.log.append(tenantId, event, seq);
    if (outcome === 'appended') await this.pubsub.publish('messageStream', tenantId, { ...event, seq }, event.messageId);
    return outcome;
  }

  /** Claims the right to end the stream: the seq its last event gets (at least `atLeast`), or null when another claimed it. */
  claimEnd(tenantId: string, messageId: string, atLeast: number): Promise<number | null> {
    return this.log.claimEnd(tenantId, messageId, atLeast);
  }

  /** Logs and publishes the last event, once the end was claimed. */
  async publishEnd(tenantId: string, event: StreamEventMessage): Promise<void> {
    await this.log.appendEnd(tenantId, event);
    await this.pubsub.publish('messageStream', tenantId, event, event.messageId);
  }

  /** Everything logged so far, e.g. to recover the content of a reply whose generator is gone. */
  logged(tenantId: string, messageId: string): Promise<StreamEventMessage[]> {
    return this.log.read(tenantId, messageId, 0);
  }

  /**
   * The events after `afterSeq`, replayed then live, ending with the last event. `finalEvent`
   * answers the last event of a reply already finished (from the database), or null while it
   * still streams; it is asked after the replay, and now and then while nothing is heard, so
   * that a follower ends even if the last event was never published. When this instance stops
   * hearing live events, the follower ends with SERVICE_UNAVAILABLE, to be resumed with `afterSeq`.
   */
  async follow(
    tenantId: string,
    messageId: string,
    afterSeq: number,
    finalEvent: () => Promise<StreamEventMessage | null>,
  ): Promise<AsyncQueue<StreamEventMessage>> {
    let lastSeq = afterSeq;
    let finished = false;
    let live = false;
    const early: StreamEventMessage[] = [];
    let chain = Promise.resolve();

    const queue = new AsyncQueue<StreamEventMessage>(async () => {
      clearInterval(recheck);
      stopWatching();
      await unlisten();
    });
    const deliver = (event: StreamEventMessage) => {
      if (finished) return;
      // A last event numbered below what was delivered comes from a log that Redis lost; it still ends the stream.
      if (event.seq > lastSeq || (isTerminal(event) && event.seq < lastSeq)) {
        lastSeq = Math.max(lastSeq, event.seq);
        queue.push(event);
      }
      if (isTerminal(event)) {
        finished = true;
        queue.end();
      }
    };
    const later = (work: () => Promise<void>) => {
      chain = chain.then(work).catch((error: unknown) => queue.fail(error));
    };
    // A hole means a live event overtook ones this follower never heard: fetch them from the log.
    const onLive = (event: StreamEventMessage) =>
      later(async () => {
        if (event.seq > lastSeq + 1) for (const missed of await this.log.read(tenantId, messageId, lastSeq)) deliver(missed);
        deliver(event);
      });
    const checkFinal = async () => {
      const final = await finalEvent();
      if (final) deliver(final);
    };

    const unlisten = await this.pubsub.listen('messageStream', tenantId, messageId, (event) =>
      live ? onLive(event) : early.push(event),
    );
    const stopWatching = this.pubsub.onConnectionChange((connected) => {
      if (!connected) queue.fail(interrupted());
    });
    const recheck = setInterval(() => later(checkFinal), FINAL_RECHECK_MS);
    recheck.unref();
    try {
      for (const event of await this.log.read(tenantId, messageId, afterSeq)) deliver(event);
      if (!finished) await checkFinal();
    } catch (error) {
      await queue.return();
      throw error;
    }
    live = true;
    for (const event of early) onLive(event);
    return queue;
  }
}
