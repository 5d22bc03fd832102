import type { Redis } from 'ioredis';

/**
 * Fixed-window attempt counters, shared by every instance when Redis is configured. An attempt is
 * counted before it is checked, atomically, so concurrent attempts cannot all pass a check made
 * before any of them failed; a success resets the key.
 */
export interface FailureCounter {
  /** Counts one attempt for `key`; answers the attempts in the current window, this one included, and seconds until it resets. */
  attempt(key: string): Promise<{ attempts: number; resetInSeconds: number }>;
  reset(key: string): Promise<void>;
}

export function createMemoryFailureCounter(windowSeconds: number): FailureCounter {
  const windows = new Map<string, { attempts: number; resetAt: number }>();
  const current = (key: string) => {
    const window = windows.get(key);
    if (window && window.resetAt > Date.now()) return window;
    windows.delete(key);
    return undefined;
  };
  const sweep = setInterval(() => {
    for (const key of windows.keys()) current(key);
  }, windowSeconds * 1000);
  sweep.unref();
  return {
    async attempt(key) {
      const window = current(key) ?? { attempts: 0, resetAt: Date.now() + windowSeconds * 1000 };
      window.attempts += 1;
      windows.set(key, window);
      return { attempts: window.attempts, resetInSeconds: Math.ceil((window.resetAt - Date.now()) / 1000) };
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

export function createRedisFailureCounter(redis: Redis, windowSeconds: number): FailureCounter {
  const redisKey = (key: string) => `ratelimit:${key}`;
  return {
    async attempt(key) {
      // NX keeps the window fixed: later attempts do not push the reset further away.
      const [[, attempts], , [, ttl]] = (await redis
        .multi()
        .incr(redisKey(key))
        .expire(redisKey(key), windowSeconds, 'NX')
        .ttl(redisKey(key))
        .exec()) as [[unknown, number], [unknown, unknown], [unknown, number]];
      return { attempts: Number(attempts), resetInSeconds: Math.max(ttl, 0) };
    },
    async reset(key) {
      await redis.del(redisKey(key));
    },
  };
}
