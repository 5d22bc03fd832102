/** Pieces of the webhook delivery benchmark: the bare signed-POST loop, and reading the receiver's arrivals. */
import { OutboundHttp } from '../../src/outbound/http-client.ts';
import { webhookHeaders } from '../../src/modules/webhooks/signing.ts';
import { generateWebhookSecret } from '../../src/modules/webhooks/secrets.ts';

/** How long the benchmark receiver takes to answer under /slow/: a receiver that works before it answers. */
export const SLOW_ANSWER_MS = 2000;

/** One request as the receiver saw it: arrival (ms since epoch), whether attempt 1, ms since the event's timestamp. */
export type Arrival = { at: number; firstAttempt: boolean; latencyMs: number };

/**
 * The baseline: `total` signed POSTs from `concurrency` loops through the same OutboundHttp client
 * and signing the worker uses, with a body like the app's, and nothing else. Answers requests/s.
 */
export async function bareSignedPosts(url: string, total: number, concurrency: number): Promise<number> {
  const http = new OutboundHttp({ allowPrivate: ['127.0.0.1'], userAgent: 'bench' });
  const secrets = { secret: generateWebhookSecret(), previousSecret: null, previousSecretExpiresAt: null };
  let sent = 0;
  const loop = async () => {
    while (sent < total) {
      const index = sent++;
      const body = JSON.stringify(sampleBody(index));
      const headers = webhookHeaders(secrets, { id: `bench-${index}`, eventType: 'interaction.created', attempt: 1, body, at: new Date() });
      const response = await http.request(url, { method: 'POST', headers, body, timeoutMs: 15_000 }, 2048);
      if (response.status !== 200) throw new Error(`receiver answered ${response.status}`);
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  return total / ((performance.now() - startedAt) / 1000);
}

/** What `registerInteraction` puts in a webhook body, give or take the ids. */
function sampleBody(index: number) {
  const now = new Date().toISOString();
  return {
    type: 'interaction.created',
    timestamp: now,
    data: { id: crypto.randomUUID(), text: `bench ${index}`, speakerId: null, conversationId: null, occurredAt: now, createdAt: now },
  };
}

export async function arrivals(receiverOrigin: string, pathPrefix: string): Promise<Arrival[]> {
  const response = await fetch(`${receiverOrigin}/stats?path=${encodeURIComponent(pathPrefix)}`);
  const rows = (await response.json()) as [number, number, number][];
  return rows.map(([at, first, latencyMs]) => ({ at, firstAttempt: first === 1, latencyMs }));
}

export async function resetReceiver(receiverOrigin: string): Promise<void> {
  await fetch(`${receiverOrigin}/reset`, { method: 'POST' });
}

/** Polls the receiver until `count` requests reached paths under `pathPrefix`. */
export async function waitForArrivals(receiverOrigin: string, pathPrefix: string, count: number, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await arrivals(receiverOrigin, pathPrefix);
    if (seen.length >= count) return seen;
    if (Date.now() > deadline) throw new Error(`only ${seen.length} of ${count} deliveries arrived under ${pathPrefix}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Deliveries per second from the first arrival to the last. */
export function throughput(seen: readonly Arrival[]): number {
  const times = seen.map((arrival) => arrival.at);
  const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
  return seen.length / Math.max(seconds, 0.001);
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
