import type { Redis } from 'ioredis';

/** Fixed-window failure counters, shared by every instance when Redis is configured. */
export interface FailureCounter {
  /** How many failures `key` has in the current window, and seconds until it resets. */
  count(key: string): Promise<{ failures: number; resetInSeconds: number }>;
  fail(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export function createMemoryFailureCounter(windowSeconds: number): FailureCounter {
  const windows = new Map<string, { failures: number; resetAt: number }>();
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
    async count(key) {
      const window = current(key);
      return {
        failures: window?.failures ?? 0,
        resetInSeconds: window ? Math.ceil((window.resetAt - Date.now()) / 1000) : 0,
      };
    },
    async fail(key) {
      const window = current(key) ?? { failures: 0, resetAt: Date.now() + windowSeconds * 1000 };
      window.failures += 1;
      windows.set(key, window);
    },
    async reset(key) {
      windows.delete(key);
    },
  };
}

export function createRedisFailureCounter(redis: Redis, windowSeconds: number): FailureCounter {
  const redisKey = (key: string) => `ratelimit:${key}`;
  return {
    async count(key) {
      const [[, failures], [, ttl]] = (await redis.multi().get(redisKey(key)).ttl(redisKey(key)).exec()) as [
        [unknown, string | null],
        [unknown, number],
      ];
      return { failures: Number(failures ?? 0), resetInSeconds: Math.max(ttl, 0) };
    },
    async fail(key) {
      // NX keeps the window fixed: later failures do not push the reset further away.
      await redis.multi().incr(redisKey(key)).expire(redisKey(key), windowSeconds, 'NX').exec();
    },
    async reset(key) {
      await redis.del(redisKey(key));
    },
  };
}
