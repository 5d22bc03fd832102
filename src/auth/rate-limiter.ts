import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** How long a Redis counter may take before the local one answers instead. */
const REDIS_TIMEOUT_MS = 250;

export type Attempts = { attempts: number; resetInSeconds: number };

/**
 * Fixed-window attempt counters, shared by every instance when Redis is configured. An attempt is
 * counted before it is checked, atomically, so concurrent attempts cannot all pass a check made
 * before any of them failed.
 */
export interface AttemptCounter {
  /** Counts one attempt for `key` in a window of `windowSeconds`; answers the attempts so far, this one included. */
  attempt(key: string, windowSeconds: number): Promise<Attempts>;
  /** Takes back one attempt (one that turned out to be legitimate). */
  forgive(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export function createMemoryCounter(): AttemptCounter {
  const windows = new Map<string, { attempts: number; resetAt: number }>();
  const current = (key: string) => {
    const window = windows.get(key);
    if (window && window.resetAt > Date.now()) return window;
    windows.delete(key);
    return undefined;
  };
  const sweep = setInterval(() => {
    for (const key of windows.keys()) current(key);
  }, 60_000);
  sweep.unref();
  return {
    async attempt(key, windowSeconds) {
      const window = current(key) ?? { attempts: 0, resetAt: Date.now() + windowSeconds * 1000 };
      window.attempts += 1;
      windows.set(key, window);
      return { attempts: window.attempts, resetInSeconds: Math.ceil((window.resetAt - Date.now()) / 1000) };
    },
    async forgive(key) {
      const window = current(key);
      if (window && window.attempts > 0) window.attempts -= 1;
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

export function createRedisCounter(redis: Redis): AttemptCounter {
  const redisKey = (key: string) => `ratelimit:${key}`;
  return {
    async attempt(key, windowSeconds) {
      // NX keeps the window fixed: later attempts do not push the reset further away.
      const [[, attempts], , [, ttl]] = (await redis
        .multi()
        .incr(redisKey(key))
        .expire(redisKey(key), windowSeconds, 'NX')
        .ttl(redisKey(key))
        .exec()) as [[unknown, number], [unknown, unknown], [unknown, number]];
      return { attempts: Number(attempts), resetInSeconds: Math.max(ttl, 0) };
    },
    async forgive(key) {
      // Only while the window lives: DECR on a missing key would create one without expiry.
      await redis.eval("if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0", 1, redisKey(key));
    },
    async reset(key) {
      await redis.del(redisKey(key));
    },
  };
}

/**
 * Counts in Redis while it answers, and in this instance's memory while it does not, so that an
 * outage degrades the limits (each instance counts alone) instead of refusing every login.
 * The switch is logged once each way.
 */
export function createResilientCounter(redis: Redis, logger: Logger): AttemptCounter {
  const shared = createRedisCounter(redis);
  const local = createMemoryCounter();
  let degraded = false;
  const use = async <T>(operation: (counter: AttemptCounter) => Promise<T>): Promise<T> => {
    if (redis.status === 'ready') {
      try {
        const result = await withTimeout(operation(shared), REDIS_TIMEOUT_MS);
        if (degraded) {
          degraded = false;
          logger.info('rate limits are shared through Redis again');
        }
        return result;
      } catch (error) {
        if (!degraded) logger.warn({ err: error }, 'rate limits are counted per instance while Redis does not answer');
        degraded = true;
        return operation(local);
      }
    }
    if (!degraded) logger.warn({ redis: redis.status }, 'rate limits are counted per instance while Redis is unreachable');
    degraded = true;
    return operation(local);
  };
  return {
    attempt: (key, windowSeconds) => use((counter) => counter.attempt(key, windowSeconds)),
    forgive: (key) => use((counter) => counter.forgive(key)),
    reset: (key) => use((counter) => counter.reset(key)),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
