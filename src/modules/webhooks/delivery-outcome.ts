import type { Config } from '../../config.ts';
import type { DeliveryStatus } from '../../generated/prisma/client.ts';
import { isSuccess, type AttemptResult } from './delivery-attempt.ts';
import type { ClaimedDelivery } from './delivery-claims.ts';
import { retryDelayMs } from '../../events/retry-policy.ts';

const GONE = 410;

/** What follows an attempt (or, with no attempt, a delivery whose endpoint was found disabled). */
export type Outcome = {
  status: DeliveryStatus;
  nextAttemptAt: Date | null;
  /** Set when the endpoint is to be disabled, saying why. */
  disableReason: string | null;
};

/**
 * Success finishes the delivery. A failure schedules the next attempt, unless it was the last one,
 * the endpoint answered 410 Gone, or it has failed without a success for longer than
 * `disableAfterMs`: then the delivery fails, and in the last two cases the endpoint is disabled.
 */
export function decideOutcome(
  delivery: ClaimedDelivery,
  result: AttemptResult | null,
  settings: Config['webhooks'],
  now = new Date(),
): Outcome {
  if (!result) return { status: 'FAILED', nextAttemptAt: null, disableReason: null };
  if (isSuccess(result)) return { status: 'SENT', nextAttemptAt: null, disableReason: null };
  const failingSince = delivery.endpoint.failingSince ?? result.startedAt;
  const disableReason =
    result.statusCode === GONE
      ? 'The endpoint answered 410 Gone'
      : result.startedAt.getTime() - failingSince.getTime() >= settings.disableAfterMs
        ? `No successful delivery since ${failingSince.toISOString()}`
        : null;
  const delay = disableReason ? null : retryDelayMs(settings.retryScheduleSeconds, result.attemptNumber, result.retryAfterMs);
  return delay === null
    ? { status: 'FAILED', nextAttemptAt: null, disableReason }
    : { status: 'PENDING', nextAttemptAt: new Date(now.getTime() + delay), disableReason: null };
}
