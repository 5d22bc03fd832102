import { OutboundError, type OutboundHttp } from '../../outbound/http-client.ts';
import type { ClaimedDelivery } from './delivery-claims.ts';
import { parseRetryAfter } from '../../events/retry-policy.ts';
import { redactedHeaders, webhookHeaders } from './signing.ts';

/** How much of a receiver's answer is kept with the attempt. */
const RESPONSE_BODY_BYTES = 2048;

/** What one attempt gave, as it is recorded. */
export type AttemptResult = {
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  /** Null when no HTTP answer came back; `error` says why. */
  statusCode: number | null;
  responseBody: string | null;
  error: string | null;
  /** The receiver's Retry-After, in milliseconds from the answer. */
  retryAfterMs: number | null;
  /** The request's headers as sent, signatures cut short (`redactedHeaders`). */
  requestHeaders: Record<string, string>;
};

export function isSuccess(result: AttemptResult): boolean {
  return result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
}

/**
 * The send stage: one signed POST. Any answer, and any failure to get one, is a result to record;
 * it throws only when `signal` cancelled the attempt (OutboundError 'aborted'), which is then not
 * an attempt at all.
 */
export async function sendAttempt(
  http: OutboundHttp,
  delivery: ClaimedDelivery,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<AttemptResult> {
  const attemptNumber = delivery.attemptCount + 1;
  const startedAt = new Date();
  const body = JSON.stringify(delivery.payload);
  const headers = webhookHeaders(delivery.endpoint, { id: delivery.eventId, eventType: delivery.eventType, attempt: attemptNumber, body, at: startedAt });
  const requestHeaders = redactedHeaders({ 'user-agent': http.userAgent, ...headers });
  try {
    const response = await http.request(
      delivery.endpoint.url,
      { method: 'POST', headers, body, timeoutMs: options.timeoutMs, signal: options.signal },
      RESPONSE_BODY_BYTES,
    );
    return {
      attemptNumber,
      startedAt,
      durationMs: response.durationMs,
      statusCode: response.status,
      responseBody: storable(response.body),
      error: null,
      retryAfterMs: parseRetryAfter(response.headers['retry-after'], new Date()),
      requestHeaders,
    };
  } catch (error) {
    if (!(error instanceof OutboundError) || error.kind === 'aborted') throw error;
    return {
      attemptNumber,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
      statusCode: null,
      responseBody: null,
      error: `${error.kind}: ${error.message}`,
      retryAfterMs: null,
      requestHeaders,
    };
  }
}

/** Postgres text cannot hold U+0000, which a receiver may well send. */
function storable(text: string): string {
  return text.replaceAll('\u0000', '');
}
