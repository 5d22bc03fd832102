import type { PubSub } from '../../../pubsub/pubsub.ts';
import { AsyncQueue } from '../../../pubsub/queue.ts';
import { isTerminal, type StreamEventMessage } from './stream-event.ts';
import type { StreamLog } from './stream-log.ts';

/**
 * Publishes reply streams and follows them from any seq. Every event is logged before it is
 * published, so an event heard live is always already in the log: a follower that starts
 * listening, then reads the log, then switches to live events misses nothing, and drops by
 * `seq` what it got twice.
 */
export class MessageStreams {
  constructor(
    private readonly pubsub: PubSub,
    private readonly log: StreamLog,
  ) {}

  async publish(tenantId: string, event: StreamEventMessage): Promise<void> {
    await this.log.append(tenantId, event);
    await this.pubsub.publish('messageStream', tenantId, event, event.messageId);
  }

  /** Everything logged so far, e.g. to recover the content of a reply whose generator is gone. */
  logged(tenantId: string, messageId: string): Promise<StreamEventMessage[]> {
    return this.log.read(tenantId, messageId, 0);
  }

  /**
   * The events after `afterSeq`, replayed then live, ending with the terminal event.
   * `finalEvent` is asked once the replay is over without one: it answers the terminal event
   * of a reply already finished (from the database), or null while it still streams.
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

    const queue = new AsyncQueue<StreamEventMessage>(() => unlisten());
    const deliver = (event: StreamEventMessage) => {
      if (finished || event.seq <= lastSeq) return;
      lastSeq = event.seq;
      queue.push(event);
      if (isTerminal(event)) {
        finished = true;
        queue.end();
      }
    };
    // A hole means a live event overtook ones this follower never heard: fetch them from the log.
    const onLive = (event: StreamEventMessage) => {
      chain = chain.then(async () => {
        if (event.seq > lastSeq + 1) for (const missed of await this.log.read(tenantId, messageId, lastSeq)) deliver(missed);
        deliver(event);
      });
    };

    const unlisten = await this.pubsub.listen('messageStream', tenantId, messageId, (event) =>
      live ? onLive(event) : early.push(event),
    );
    try {
      for (const event of await this.log.read(tenantId, messageId, afterSeq)) deliver(event);
      if (!finished) {
        const final = await finalEvent();
        if (final) deliver(final);
        // A follower that already saw the last event gets nothing more: the stream just ends.
        if (final && !finished) {
          finished = true;
          queue.end();
        }
      }
    } catch (error) {
      await queue.return();
      throw error;
    }
    live = true;
    for (const event of early) onLive(event);
    return queue;
  }
}
