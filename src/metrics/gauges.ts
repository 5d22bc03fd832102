import { Gauge } from 'prom-client';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Metrics } from './registry.ts';

/** What the gauges read when Prometheus scrapes, each from where it lives. */
export type GaugeSources = {
  prisma: PrismaClient;
  pool(): { total: number; idle: number; waiting: number };
  pubsubConnected(): boolean;
  openWebSockets(): number;
  /** Subscriptions running on this instance's sockets, by their root field. */
  subscriptionsByField(): Map<string, number>;
};

type Backlog = {
  outbox_pending: number;
  outbox_oldest_seconds: number | null;
  deliveries_pending: number;
  deliveries_due: number;
};
type ConsumerBacklog = { consumer: string; pending: number; oldest_due_seconds: number | null };

/**
 * Gauges computed at scrape time. The queues are read from the database (shared by all
 * instances, so every instance reports the same values: aggregate them with max, not sum); the
 * rest is this instance's. Times are in UTC, as stored.
 */
export function addGauges(metrics: Metrics, sources: GaugeSources): void {
  const registers = [metrics.registry];
  // The queue gauges share one read per scrape: prom-client collects them all at once.
  let reading: Promise<void> | null = null;
  const collectQueues = () => (reading ??= readQueues().finally(() => setImmediate(() => (reading = null))));
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers, collect: collectQueues });

  const databaseUp = gauge('database_up', '1 when the last scrape could read the queues from the database, else 0');
  const outboxPending = gauge('outbox_events_pending', 'Events committed and not yet dispatched (published, delivered to webhooks, enqueued for consumers)');
  const outboxLag = gauge('outbox_lag_seconds', 'Age of the oldest event not yet dispatched; 0 when none waits');
  const deliveries = gauge('webhook_deliveries_pending', 'Webhook deliveries waiting for an attempt: due now, or scheduled for a retry later', ['state']);
  const jobsPending = gauge('consumer_jobs_pending', 'Jobs of internal consumers waiting to run (or to be retried), by consumer', ['consumer']);
  const jobsLag = gauge('consumer_jobs_oldest_due_seconds', 'How long the oldest due job of each consumer has been due', ['consumer']);
  async function readQueues() {
    try {
      const [[backlog], consumers] = await Promise.all([
        sources.prisma.$queryRaw<Backlog[]>`
          SELECT (SELECT count(*)::int FROM outbox_events WHERE dispatched_at IS NULL) AS outbox_pending,
                 (SELECT EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min(created_at))::float8
                    FROM outbox_events WHERE dispatched_at IS NULL) AS outbox_oldest_seconds,
                 count(*)::int AS deliveries_pending,
                 (count(*) FILTER (WHERE next_attempt_at <= now() AT TIME ZONE 'UTC'))::int AS deliveries_due
            FROM webhook_deliveries WHERE status = 'PENDING'`,
        sources.prisma.$queryRaw<ConsumerBacklog[]>`
          SELECT consumer, count(*)::int AS pending,
                 EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now() AT TIME ZONE 'UTC'))::float8 AS oldest_due_seconds
            FROM consumer_jobs WHERE status = 'PENDING' GROUP BY consumer`,
      ]);
      outboxPending.set(backlog!.outbox_pending);
      outboxLag.set(Math.max(0, backlog!.outbox_oldest_seconds ?? 0));
      deliveries.labels('due').set(backlog!.deliveries_due);
      deliveries.labels('scheduled').set(backlog!.deliveries_pending - backlog!.deliveries_due);
      jobsPending.reset();
      jobsLag.reset();
      for (const { consumer, pending, oldest_due_seconds } of consumers) {
        jobsPending.labels(consumer).set(pending);
        jobsLag.labels(consumer).set(Math.max(0, oldest_due_seconds ?? 0));
      }
      databaseUp.set(1);
    } catch {
      databaseUp.set(0);
    }
  }

  new Gauge({
    name: 'db_pool_connections',
    help: "This instance's database connections: open (total), idle, and requests waiting for one",
    labelNames: ['state'],
    registers,
    collect() {
      const { total, idle, waiting } = sources.pool();
      this.labels('total').set(total);
      this.labels('idle').set(idle);
      this.labels('waiting').set(waiting);
    },
  });
  new Gauge({
    name: 'pubsub_connected',
    help: '1 when what is published reaches this instance (Redis reachable and subscribed; always 1 in memory)',
    registers,
    collect() {
      this.set(sources.pubsubConnected() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'websocket_connections_open',
    help: 'Open graphql-ws connections on this instance',
    registers,
    collect() {
      this.set(sources.openWebSockets());
    },
  });
  new Gauge({
    name: 'graphql_subscriptions_active',
    help: 'Subscriptions running on this instance over graphql-ws (not SSE), by root field',
    labelNames: ['field'],
    registers,
    collect() {
      this.reset();
      for (const [field, count] of sources.subscriptionsByField()) this.labels(field).set(count);
    },
  });
}
