/** Scheduled waits are spread by up to this fraction either way, so retries of a burst do not arrive as a burst. */
const JITTER = 0.1;
/** The longest a receiver's Retry-After may defer an attempt, unless the schedule itself waits longer. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * How long to wait after failed attempt number `attempt` (1-based), or null when it was the last:
 * attempt k waits `schedule[k-1]` seconds with jitter, or the receiver's Retry-After when that is longer.
 */
export function retryDelayMs(
  schedule: readonly number[],
  attempt: number,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number | null {
  const seconds = schedule[attempt - 1];
  if (seconds === undefined) return null;
  const scheduled = seconds * 1000 * (1 + (random() * 2 - 1) * JITTER);
  const cap = Math.max(MAX_RETRY_AFTER_MS, Math.max(...schedule) * 1000);
  return Math.round(Math.max(scheduled, Math.min(retryAfterMs ?? 0, cap)));
}

/** A Retry-After header (delay-seconds or an HTTP date) as milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now: Date): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
