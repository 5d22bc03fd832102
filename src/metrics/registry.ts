import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Distinct operation names kept as label values; past it, `other`: clients choose names, and each value is a series. */
const OPERATION_NAMES = 200;
/** Longer names are `other` too: a name may be as long as the body. */
const MAX_OPERATION_NAME_LENGTH = 64;
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Operation names as label values, bounded: a name becomes a value once an operation of that
 * name passed validation and runs (`admit`), up to OPERATION_NAMES of them; any other is `other`.
 */
export class OperationNames {
  private readonly known = new Set<string>();

  admit(name: string | null | undefined): void {
    if (name && name.length <= MAX_OPERATION_NAME_LENGTH && this.known.size < OPERATION_NAMES) this.known.add(name);
  }

  label(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    return this.known.has(name) ? name : 'other';
  }
}

/**
 * The app's metrics, one registry per app (tests run several in a process): Node's own
 * (event loop, heap, GC), plus what the modules report through the `observe*` functions, which
 * they receive as plain callbacks and which know nothing of Prometheus. Scrape-time gauges
 * (queues, pools, sockets) are added by the app (see gauges.ts).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const operationNames = new OperationNames();

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route (graphql, channel_webhook, ready, avatar, ...), method and status; an SSE subscription counts when it ends',
    labelNames: ['route', 'method', 'status'],
    buckets: SECONDS,
    registers,
  });
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations executed, by operation name and type, and outcome (ok, or error when the result has errors)',
    labelNames: ['operation_name', 'operation_type', 'outcome'],
    registers,
  });
  const webhookAttempts = new Histogram({
    name: 'webhook_attempt_duration_seconds',
    help: 'Webhook delivery attempts by outcome: sent, retry (to be tried again), failed (for good), endpoint_disabled (not sent)',
    labelNames: ['outcome'],
    buckets: SECONDS,
    registers,
  });
  const agentCalls = new Histogram({
    name: 'agent_call_duration_seconds',
    help: "Calls of agents' webhooks (chat replies and auto-replies) by outcome: completed, failed, cancelled",
    labelNames: ['outcome'],
    buckets: SECONDS,
    registers,
  });
  const consumerJobs = new Counter({
    name: 'consumer_jobs_total',
    help: 'Jobs of internal consumers run by this instance, by consumer and outcome: done, or failed (to be retried, or for good)',
    labelNames: ['consumer', 'outcome'],
    registers,
  });

  return {
    registry,
    operationNames,
    observeHttp: (route: string, method: string, status: number, seconds: number) => httpDuration.labels(route, method, String(status)).observe(seconds),
    observeOperation: (name: string | null | undefined, type: string, failed: boolean) =>
      operations.labels(operationNames.label(name), type, failed ? 'error' : 'ok').inc(),
    observeWebhookAttempt: (outcome: string, seconds: number) => webhookAttempts.labels(outcome).observe(seconds),
    observeAgentCall: (outcome: string, seconds: number) => agentCalls.labels(outcome).observe(seconds),
    observeConsumerJobs: (consumer: string, outcome: 'done' | 'failed', jobs: number) => consumerJobs.labels(consumer, outcome).inc(jobs),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
