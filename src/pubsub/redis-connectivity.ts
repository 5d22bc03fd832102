import type { Redis } from 'ioredis';

/**
 * How long an instance whose channels are subscribed again still waits before it counts as
 * connected. Every instance retries Redis at least every 500 ms (redis.ts), so by then the others
 * are subscribed again too, and what this one publishes next reaches their subscribers as well.
 */
const SETTLE_MS = 1000;

export type Connectivity = {
  isConnected(): boolean;
  onChange(listener: (connected: boolean) => void): () => void;
  stop(): void;
};

/**
 * Follows the two connections of Redis pub/sub, and subscribes the subscriber's channels again
 * each time it reconnects (its connection is opened without ioredis's own re-subscription, which
 * forgets the channels for good when Redis goes away again before it answered). Connected means:
 * the publisher is ready, and the subscriber has subscribed `channels()` again since it last
 * reconnected, SETTLE_MS ago. A re-subscription that fails is tried again at the next reconnect.
 */
export function followConnectivity(
  connections: { publisher: Redis; subscriber: Redis },
  channels: () => string[],
  settleMs = SETTLE_MS,
): Connectivity {
  const { publisher, subscriber } = connections;
  const listeners = new Set<(connected: boolean) => void>();
  let subscribed = subscriber.status === 'ready';
  let connected = subscribed && publisher.status === 'ready';
  /** Rises with every lost subscriber connection, so that a late answer of an earlier one counts for nothing. */
  let epoch = 0;
  let settling: NodeJS.Timeout | undefined;

  const update = () => {
    const now = subscribed && publisher.status === 'ready';
    if (now === connected) return;
    connected = now;
    for (const listener of listeners) listener(now);
  };
  const onSubscriberLost = () => {
    epoch++;
    clearTimeout(settling);
    subscribed = false;
    update();
  };
  const onSubscriberReady = () => {
    const current = epoch;
    const wanted = channels();
    const resubscribed = wanted.length > 0 ? subscriber.subscribe(...wanted) : subscriber.ping();
    resubscribed.then(
      () => {
        if (current !== epoch) return;
        settling = setTimeout(() => {
          subscribed = current === epoch;
          update();
        }, settleMs);
        settling.unref();
      },
      // The connection went away again: its 'close' already said so.
      () => {},
    );
  };

  subscriber.on('close', onSubscriberLost);
  subscriber.on('ready', onSubscriberReady);
  publisher.on('close', update);
  publisher.on('ready', update);
  return {
    isConnected: () => connected,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      clearTimeout(settling);
      listeners.clear();
      subscriber.off('close', onSubscriberLost);
      subscriber.off('ready', onSubscriberReady);
      publisher.off('close', update);
      publisher.off('ready', update);
    },
  };
}
