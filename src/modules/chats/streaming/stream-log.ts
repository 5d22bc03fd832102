import type { Redis } from 'ioredis';
import type { StreamEventMessage } from './stream-event.ts';

export type UnsequencedEvent = Omit<StreamEventMessage, 'seq'>;

/**
 * How an append went: 'ended' once the stream's end was claimed; 'lost' when the log no longer
 * holds the events before it (Redis lost them), so that numbering never starts again from 1.
 */
export type AppendOutcome = 'appended' | 'ended' | 'lost';

/**
 * What a reply streamed so far, kept so that a subscriber can resume with `afterSeq`. An event's
 * seq is its position: an append names the seq it expects and is refused when the log holds
 * anything else before it, so there is no hole and no repeat. Ending a stream is claimed once:
 * after the claim only the claimer's last event is taken, so a generator and a forced cancel
 * cannot both end it. Finished streams are kept a while; after that the message row is what a
 * replay ends with.
 */
export interface StreamLog {
  /** Appends `event` as number `seq`. */
  append(tenantId: string, event: UnsequencedEvent, seq: number): Promise<AppendOutcome>;
  /**
   * Claims the end of the stream and answers the seq its last event will have, at least
   * `atLeast`, or null when another claimed it.
   */
  claimEnd(tenantId: string, messageId: string, atLeast: number): Promise<number | null>;
  /** Appends the last event, by whoever claimed the end. */
  appendEnd(tenantId: string, event: StreamEventMessage): Promise<void>;
  read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]>;
}

/** How long a stream stays replayable: while it runs, and once it ended. */
export type StreamLogRetention = { activeMs: number; finishedMs: number };

type MemoryStream = { events: UnsequencedEvent[]; ended: boolean; expiry?: NodeJS.Timeout };

/** One instance: the log lives in this process. */
export class MemoryStreamLog implements StreamLog {
  private readonly streams = new Map<string, MemoryStream>();

  constructor(private readonly retention: StreamLogRetention) {}

  async append(tenantId: string, event: UnsequencedEvent, seq: number): Promise<AppendOutcome> {
    const stream = this.stream(`${tenantId}:${event.messageId}`, this.retention.activeMs);
    if (stream.ended) return 'ended';
    if (stream.events.length !== seq - 1) return 'lost';
    stream.events.push(event);
    return 'appended';
  }

  async claimEnd(tenantId: string, messageId: string, atLeast: number): Promise<number | null> {
    const stream = this.stream(`${tenantId}:${messageId}`, this.retention.activeMs);
    if (stream.ended) return null;
    stream.ended = true;
    return Math.max(stream.events.length + 1, atLeast);
  }

  async appendEnd(tenantId: string, event: StreamEventMessage): Promise<void> {
    this.stream(`${tenantId}:${event.messageId}`, this.retention.finishedMs).events.push(event);
  }

  async read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]> {
    const events = this.streams.get(`${tenantId}:${messageId}`)?.events ?? [];
    return sequenced(events.slice(Math.max(afterSeq, 0)), Math.max(afterSeq, 0));
  }

  private stream(key: string, keepMs: number): MemoryStream {
    const stream = this.streams.get(key) ?? { events: [], ended: false };
    clearTimeout(stream.expiry);
    stream.expiry = setTimeout(() => this.streams.delete(key), keepMs);
    stream.expiry.unref();
    this.streams.set(key, stream);
    return stream;
  }
}

/** KEYS: the list, the end marker. ARGV: the event, the retention in ms, its seq. Answers 1 (appended), 0 (ended) or -1 (lost). */
const APPEND = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[3]) - 1 then return -1 end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: the list, the end marker. ARGV: the retention in ms, the least seq. */
const CLAIM_END = `
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return math.max(redis.call('LLEN', KEYS[1]) + 1, tonumber(ARGV[2])) end
return 0`;

const APPEND_OUTCOMES: Record<number, AppendOutcome> = { 1: 'appended', 0: 'ended', [-1]: 'lost' };

/** Several instances: the log is a Redis list per message, readable by every instance. */
export class RedisStreamLog implements StreamLog {
  constructor(
    private readonly redis: Redis,
    private readonly retention: StreamLogRetention,
  ) {}

  async append(tenantId: string, event: UnsequencedEvent, seq: number): Promise<AppendOutcome> {
    const [list, ended] = keysOf(tenantId, event.messageId);
    const outcome = (await this.redis.eval(APPEND, 2, list, ended, JSON.stringify(event), this.retention.activeMs, seq)) as number;
    return APPEND_OUTCOMES[outcome]!;
  }

  async claimEnd(tenantId: string, messageId: string, atLeast: number): Promise<number | null> {
    const [list, ended] = keysOf(tenantId, messageId);
    const seq = (await this.redis.eval(CLAIM_END, 2, list, ended, this.retention.activeMs, atLeast)) as number;
    return seq === 0 ? null : seq;
  }

  async appendEnd(tenantId: string, event: StreamEventMessage): Promise<void> {
    const [list, ended] = keysOf(tenantId, event.messageId);
    await this.redis
      .multi()
      .rpush(list, JSON.stringify(event))
      .pexpire(list, this.retention.finishedMs)
      .pexpire(ended, this.retention.finishedMs)
      .exec();
  }

  async read(tenantId: string, messageId: string, afterSeq: number): Promise<StreamEventMessage[]> {
    const from = Math.max(afterSeq, 0);
    const items = await this.redis.lrange(keysOf(tenantId, messageId)[0], from, -1);
    return sequenced(items.map((item) => JSON.parse(item) as UnsequencedEvent), from);
  }
}

/**
 * Numbers events by their position in the log. The last event keeps the seq it was claimed
 * with, which is beyond its position when the log lost the events before it.
 */
function sequenced(events: (UnsequencedEvent | StreamEventMessage)[], afterSeq: number): StreamEventMessage[] {
  return events.map((event, index) => ({ seq: afterSeq + index + 1, ...event }));
}

const keysOf = (tenantId: string, messageId: string) => [`stream:${tenantId}:${messageId}`, `stream-end:${tenantId}:${messageId}`] as const;
