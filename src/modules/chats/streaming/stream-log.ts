import type { Redis } from 'ioredis';
import { isTerminal, type StreamEventMessage } from './stream-event.ts';

/**
 * What a reply streamed so far, kept so that a subscriber can resume with `afterSeq`. Seqs
 * start at 1 without holes, so the events after `afterSeq` are the list from that index on.
 * Finished streams are kept a while after their last event; after that the message row
 * (final content and `lastSeq`) is what a replay ends with.
 */
export interface StreamLog {
  append(tenantId: string, event: StreamEventMessage): Promise<void>;
  read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]>;
}

/** How long a stream stays replayable: while it runs, and once it ended. */
export type StreamLogRetention = { activeMs: number; finishedMs: number };

/** One instance: the log lives in this process. */
export class MemoryStreamLog implements StreamLog {
  private readonly streams = new Map<string, { events: StreamEventMessage[]; expiry: NodeJS.Timeout }>();

  constructor(private readonly retention: StreamLogRetention) {}

  async append(tenantId: string, event: StreamEventMessage): Promise<void> {
    const key = `${tenantId}:${event.messageId}`;
    const stream = this.streams.get(key) ?? { events: [], expiry: undefined as unknown as NodeJS.Timeout };
    clearTimeout(stream.expiry);
    stream.events.push(event);
    stream.expiry = setTimeout(() => this.streams.delete(key), isTerminal(event) ? this.retention.finishedMs : this.retention.activeMs);
    stream.expiry.unref();
    this.streams.set(key, stream);
  }

  async read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]> {
    return this.streams.get(`${tenantId}:${messageId}`)?.events.slice(Math.max(afterSeq, 0)) ?? [];
  }
}

/** Several instances: the log is a Redis list per message, readable by every instance. */
export class RedisStreamLog implements StreamLog {
  constructor(
    private readonly redis: Redis,
    private readonly retention: StreamLogRetention,
  ) {}

  async append(tenantId: string, event: StreamEventMessage): Promise<void> {
    const ttl = isTerminal(event) ? this.retention.finishedMs : this.retention.activeMs;
    const key = keyOf(tenantId, event.messageId);
    await this.redis.multi().rpush(key, JSON.stringify(event)).pexpire(key, ttl).exec();
  }

  async read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]> {
    const items = await this.redis.lrange(keyOf(tenantId, messageId), Math.max(afterSeq, 0), -1);
    return items.map((item) => JSON.parse(item) as StreamEventMessage);
  }
}

const keyOf = (tenantId: string, messageId: string) => `stream:${tenantId}:${messageId}`;
