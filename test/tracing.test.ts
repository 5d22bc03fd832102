/**
 * OpenTelemetry traces from the server process (`src/main.ts`) to a local OTLP/HTTP receiver:
 * a span per GraphQL operation with its database queries as children, agent calls and webhook
 * attempts, and the last spans flushed at shutdown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { GraphQLClient } from './support/client.ts';
import { AGENT_TOKEN } from './support/conversations.ts';
import { CreateAgent } from './support/agent-operations.ts';
import { CreateChat } from './support/chat-operations.ts';
import { createEndpoint, emitInteraction } from './support/deliveries.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { Me } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';
import { ReplyMessage, SendMessage } from './support/stream-operations.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; arrayValue?: { values: AnyValue[] } };
type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: AnyValue }[];
  status?: { code?: number; message?: string };
};
type ExportRequest = { resourceSpans: { resource: { attributes: { key: string; value: AnyValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };

const SPAN_KIND = { SERVER: 2, CLIENT: 3 };

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((each) => each.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
};

describe('traces over OTLP', () => {
  let receiver: Receiver;
  let standin: AgentStandin;
  let server: ServerProcess;
  let client: GraphQLClient;
  let dataDir: string;
  let admin: Awaited<ReturnType<typeof signUpTenant>>;
  const spans = () =>
    receiver.to('/v1/traces').flatMap((request) => (JSON.parse(request.body) as ExportRequest).resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)));
  const serviceNames = () =>
    receiver.to('/v1/traces').flatMap((request) => (JSON.parse(request.body) as ExportRequest).resourceSpans.map((resource) => resource.resource.attributes.find((each) => each.key === 'service.name')?.value.stringValue));
  const spanWhere = (what: string, match: (span: OtlpSpan) => boolean) =>
    eventually(() => spans().find(match), 10_000, what);

  before(async () => {
    [receiver, standin, dataDir] = await Promise.all([startReceiver(), startAgentStandin(), tempDir('tracing')]);
    server = startServer({
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      ALLOW_PRIVATE_URLS: '127.0.0.1,localhost',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url(''),
      OTEL_SERVICE_NAME: 'convo-graph-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    client = new GraphQLClient(new URL(await server.ready).origin);
    admin = await signUpTenant(client);
  });
  after(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await Promise.all([receiver?.close(), standin?.close(), removeTempDir(dataDir)]);
  });

  it('sends one span per GraphQL operation, with its database queries as its children', async () => {
    await client.data(Me, {}, { token: admin.token });
    const operation = await spanWhere('the Me span', (span) => span.name === 'query Me');
    assert.equal(operation.kind, SPAN_KIND.SERVER);
    assert.equal(attribute(operation, 'graphql.operation.name'), 'Me');
    const all = spans();
    const byId = new Map(all.map((span) => [span.spanId, span]));
    const underOperation = (span: OtlpSpan) => {
      for (let at: OtlpSpan | undefined = span; at; at = at.parentSpanId ? byId.get(at.parentSpanId) : undefined) if (at.spanId === operation.spanId) return true;
      return false;
    };
    const queries = all.filter((span) => span.name.startsWith('prisma:') && underOperation(span));
    assert.ok(queries.length > 0, `no database span under the operation: ${all.map((span) => span.name).join(', ')}`);
    assert.ok(queries.every((span) => span.traceId === operation.traceId));
    assert.deepEqual([...new Set(serviceNames())], ['convo-graph-test']);
    const roots = all.filter((span) => !span.parentSpanId).map((span) => span.name);
    assert.ok(!roots.some((name) => name.startsWith('prisma:')), `background database queries start traces: ${roots.join(', ')}`);
  });

  it('marks an operation whose result has errors, with their codes', async () => {
    await client.request(Me, {});
    const refused = await spanWhere('the refused Me span', (span) => span.name === 'query Me' && span.status?.code === 2);
    assert.match(refused.status?.message ?? '', /UNAUTHENTICATED/);
  });

  it("sends a span for each agent call, in the trace of the mutation that asked for it", async () => {
    const { createAgent } = await client.data(CreateAgent, { input: { name: 'Traced', webhookUrl: standin.url('/sse'), webhookToken: AGENT_TOKEN } }, { token: admin.token });
    const { createChat } = await client.data(CreateChat, { input: { agentId: createAgent.id, title: 'Traced' } }, { token: admin.token });
    await client.data(SendMessage, { input: { chatId: createChat.id, content: 'Hello' } }, { token: admin.token });
    await eventually(async () => {
      const { chat } = await client.data(ReplyMessage, { chatId: createChat.id }, { token: admin.token });
      return chat?.messages.edges.some((edge) => edge.node.role === 'ASSISTANT' && edge.node.status === 'COMPLETED') ? true : undefined;
    });
    const call = await spanWhere('the agent call span', (span) => span.name === 'agent.call');
    assert.equal(call.kind, SPAN_KIND.CLIENT);
    assert.equal(attribute(call, 'agent.outcome'), 'completed');
    assert.equal(attribute(call, 'server.address'), '127.0.0.1');
    const mutation = await spanWhere('the SendMessage span', (span) => span.name === 'mutation SendMessage');
    assert.equal(call.traceId, mutation.traceId);
  });

  it('sends a span for each webhook attempt, with its status code', async () => {
    await createEndpoint(client, admin.token, receiver.url('/hook'));
    await emitInteraction(client, admin.token);
    const attempt = await spanWhere('the webhook attempt span', (span) => span.name === 'webhook.attempt');
    assert.equal(attempt.kind, SPAN_KIND.CLIENT);
    assert.equal(attribute(attempt, 'http.response.status_code'), 200);
    assert.equal(attribute(attempt, 'webhook.event.type'), 'interaction.created');
    assert.equal(attribute(attempt, 'tenant.id'), admin.tenant.id);
  });

  it('flushes the last spans when it stops on SIGTERM', async () => {
    await client.data(Me, {}, { token: admin.token });
    const before = spans().filter((span) => span.name === 'query Me').length;
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.ok(spans().filter((span) => span.name === 'query Me').length > before, 'the span of the last operation was not sent before the exit');
  });
});
