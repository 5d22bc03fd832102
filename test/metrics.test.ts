import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { chatWithAgent, finalReply, send } from './support/conversations.ts';
import { createEndpoint, emitInteraction, FAST_RETRIES } from './support/deliveries.ts';
import { eventually, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { CreateApiKey, Me, OnAuditEvent } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

/** A port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Prometheus's text format, sample by sample. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `not a sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key!, value!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  assert.ok(found.length <= 1, `${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

for (const backend of backends()) {
  describe(`metrics (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let metricsUrl: string;
    let receiver: Receiver;
    let standin: AgentStandin;
    let smtp: SmtpSink;
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    before(async () => {
      [receiver, standin, smtp] = await Promise.all([startReceiver(), startAgentStandin(), startSmtpSink()]);
      const port = await freePort();
      app = await startApp({ ...(await backend.env()), ...FAST_RETRIES, METRICS_PORT: String(port), SMTP_URL: smtp.url });
      metricsUrl = `http://127.0.0.1:${port}/metrics`;
      admin = await signUpTenant(app.client);
    });
    after(async () => {
      await app?.stop();
      await Promise.all([receiver?.close(), standin?.close(), smtp?.close()]);
    });

    const scrape = async () => {
      const response = await fetch(metricsUrl);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return parse(await response.text());
    };

    it('serves them on METRICS_PORT only, with Node runtime metrics, and not on the API port', async () => {
      const samples = await scrape();
      assert.ok(samples.some((sample) => sample.name === 'nodejs_eventloop_lag_seconds'));
      assert.ok(valueOf(samples, 'process_resident_memory_bytes') > 0);
      assert.equal((await fetch(`${app.origin}/metrics`)).status, 404);
      assert.equal((await fetch(metricsUrl.replace('/metrics', '/graphql'))).status, 404);
    });

    it('counts GraphQL operations by name and outcome, times them over HTTP, and counts errors by code', async () => {
      for (let i = 0; i < 3; i++) await app.client.data(Me, {}, { token: admin.token });
      await app.client.request(Me, {});
      const samples = await scrape();
      assert.ok(valueOf(samples, 'graphql_operations_total', { operation_name: 'Me', operation_type: 'query', outcome: 'ok' }) >= 3);
      assert.equal(valueOf(samples, 'graphql_operations_total', { operation_name: 'Me', operation_type: 'query', outcome: 'error' }), 1);
      assert.equal(valueOf(samples, 'graphql_envelop_error_result', { operationName: 'Me', code: 'UNAUTHENTICATED' }), 1);
      assert.ok(valueOf(samples, 'graphql_yoga_http_duration_count', { operationName: 'Me', method: 'POST', statusCode: '200' }) >= 4);
      assert.ok(valueOf(samples, 'graphql_envelop_request_duration_count', { operationName: 'Me', operationType: 'query' }) >= 4);
      assert.ok(valueOf(samples, 'http_request_duration_seconds_count', { route: 'graphql', method: 'POST', status: '200' }) >= 4);
    });

    it('labels only names of operations that ran, and a name too long as other', async () => {
      const post = (query: string) =>
        fetch(`${app.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      await post('query NeverValid { noSuchField }');
      const long = `Long${'x'.repeat(80)}`;
      await post(`query ${long} { __typename }`);
      const samples = await scrape();
      const names = new Set(samples.flatMap((sample) => [sample.labels.operationName, sample.labels.operation_name]));
      assert.ok(!names.has('NeverValid'), 'an operation that failed validation became a label value');
      assert.ok(!names.has(long));
      assert.equal(valueOf(samples, 'graphql_envelop_error_result', { operationName: 'other', phase: 'validate', code: 'GRAPHQL_VALIDATION_FAILED' }), 1);
      assert.ok(valueOf(samples, 'graphql_operations_total', { operation_name: 'other', operation_type: 'query', outcome: 'ok' }) >= 1);
    });

    it('reports open sockets and running subscriptions by field, and forgets them when the socket closes', async () => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
      const subscription = collect(client, OnAuditEvent);
      await triggerUntilReceived(
        () => app.client.data(CreateApiKey, { input: { name: 'metrics probe' } }, { token: admin.token }),
        () => (subscription.events.length ? true : undefined),
      );
      const second = collect(client, OnAuditEvent);
      await triggerUntilReceived(
        () => app.client.data(CreateApiKey, { input: { name: 'metrics probe' } }, { token: admin.token }),
        () => (second.events.length ? true : undefined),
      );
      const live = await scrape();
      assert.equal(valueOf(live, 'websocket_connections_open'), 1);
      assert.equal(valueOf(live, 'graphql_subscriptions_active', { field: 'auditEventCreated' }), 2);
      subscription.unsubscribe();
      await eventually(async () => (valueOf(await scrape(), 'graphql_subscriptions_active', { field: 'auditEventCreated' }) === 1 ? true : undefined));
      await (client as Client).dispose();
      await eventually(async () => ((await scrape()).some((sample) => sample.name === 'websocket_connections_open' && sample.value === 0) ? true : undefined));
      assert.equal(valueOf(await scrape(), 'graphql_subscriptions_active', { field: 'auditEventCreated' }), 0);
    });

    it('counts webhook attempts by outcome and shows the retries waiting in the delivery queue', async () => {
      receiver.answer((request) => (request.path === '/failing' ? { status: 500 } : { status: 200 }));
      await createEndpoint(app.client, admin.token, receiver.url('/ok'));
      await createEndpoint(app.client, admin.token, receiver.url('/failing'));
      await emitInteraction(app.client, admin.token);
      await Promise.all([receiver.waitFor('/ok', 1), receiver.waitFor('/failing', 1)]);
      const samples = await eventually(async () => {
        const now = await scrape();
        return valueOf(now, 'webhook_attempt_duration_seconds_count', { outcome: 'retry' }) >= 1 ? now : undefined;
      });
      assert.ok(valueOf(samples, 'webhook_attempt_duration_seconds_count', { outcome: 'sent' }) >= 1);
      assert.ok(valueOf(samples, 'webhook_deliveries_pending', { state: 'scheduled' }) + valueOf(samples, 'webhook_deliveries_pending', { state: 'due' }) >= 1);
      assert.equal(valueOf(samples, 'database_up'), 1);
      assert.ok(valueOf(samples, 'outbox_events_pending') >= 0);
      assert.ok(samples.some((sample) => sample.name === 'outbox_lag_seconds'));
    });

    it('times agent calls by outcome, counts consumer jobs by consumer, and reports the pool and pub/sub', async () => {
      const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
      const { assistantMessage } = await send(app, admin.token, chatId);
      assert.equal((await finalReply(app, admin.token, chatId, assistantMessage.id)).status, 'COMPLETED');
      const failing = await chatWithAgent(app, admin.token, standin.url('/status/500'));
      const failed = await send(app, admin.token, failing.chatId);
      assert.equal((await finalReply(app, admin.token, failing.chatId, failed.assistantMessage.id)).status, 'FAILED');
      await smtp.waitFor(1);
      const samples = await eventually(async () => {
        const now = await scrape();
        return valueOf(now, 'consumer_jobs_total', { consumer: 'users.verification-email', outcome: 'done' }) >= 1 ? now : undefined;
      });
      assert.ok(valueOf(samples, 'agent_call_duration_seconds_count', { outcome: 'completed' }) >= 1);
      assert.ok(valueOf(samples, 'agent_call_duration_seconds_count', { outcome: 'failed' }) >= 1);
      assert.ok(valueOf(samples, 'db_pool_connections', { state: 'total' }) >= 1);
      assert.equal(valueOf(samples, 'pubsub_connected'), 1);
    });
  });
}

describe('metrics on the API port, and off by default', () => {
  const [backend] = backends();
  const apps: RunningApp[] = [];
  after(() => Promise.all(apps.map((app) => app.stop())));

  it('serves /metrics on the API port with METRICS=true, and nothing there without it', async () => {
    const [on, off] = await Promise.all([backend!.env().then((env) => startApp({ ...env, METRICS: 'true' })), backend!.env().then((env) => startApp(env))]);
    apps.push(on, off);
    assert.equal((await fetch(`${on.origin}/health`)).status, 200);
    const served = await fetch(`${on.origin}/metrics`);
    assert.equal(served.status, 200);
    assert.equal(valueOf(parse(await served.text()), 'http_request_duration_seconds_count', { route: 'health', method: 'GET', status: '200' }), 1);
    assert.equal((await fetch(`${off.origin}/metrics`)).status, 404);
  });
});
