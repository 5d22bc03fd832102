import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { wsClient } from './support/client.ts';
import { chatWithAgent, finalReply, send } from './support/conversations.ts';
import { createEndpoint, emitInteraction } from './support/deliveries.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { Me } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

type Line = Record<string, unknown>;

const [backend] = backends();

describe('what the logs say about operations, sockets, webhooks and agents', { skip: backend!.skip }, () => {
  let app: RunningApp;
  let receiver: Receiver;
  let standin: AgentStandin;
  let admin: Awaited<ReturnType<typeof signUpTenant>>;
  before(async () => {
    [receiver, standin] = await Promise.all([startReceiver(), startAgentStandin()]);
    app = await startApp(await backend!.env(), { captureLogs: true });
    admin = await signUpTenant(app.client);
  });
  after(async () => {
    await app?.stop();
    await Promise.all([receiver?.close(), standin?.close()]);
  });

  const linesWith = (msg: string, match: (line: Line) => boolean = () => true) => app.logs.filter((line) => line.msg === msg && match(line));

  it("logs each GraphQL request with its request id, operation name, tenant and user, and never the caller's token", async () => {
    const result = await app.client.request(Me, {}, { token: admin.token });
    const requestId = result.headers.get('x-request-id');
    const [line] = await eventually(() => {
      const found = linesWith('request', (each) => each.requestId === requestId);
      return found.length ? found : undefined;
    });
    assert.deepEqual(
      { operationName: line!.operationName, tenantId: line!.tenantId, userId: line!.userId, status: line!.status },
      { operationName: 'Me', tenantId: admin.tenant.id, userId: admin.user.id, status: 200 },
    );
    assert.ok(!JSON.stringify(app.logs).includes(admin.token), 'an access token reached the logs');
  });

  it('logs WebSocket connections and their closes with the close code', async () => {
    const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
    await eventually(() => (linesWith('websocket connected', (line) => line.userId === admin.user.id).length ? true : undefined));
    await (client as Client).dispose();
    const [closed] = await eventually(() => {
      const found = linesWith('websocket closed', (line) => line.userId === admin.user.id);
      return found.length ? found : undefined;
    });
    assert.equal(closed!.code, 1000);
    assert.equal(closed!.tenantId, admin.tenant.id);
  });

  it('logs each webhook attempt with its outcome and status, without the signing secret', async () => {
    const { id, secret } = await createEndpoint(app.client, admin.token, receiver.url('/logs'));
    await emitInteraction(app.client, admin.token);
    await receiver.waitFor('/logs', 1);
    const [attempt] = await eventually(() => {
      const found = linesWith('webhook attempt', (line) => line.endpointId === id);
      return found.length ? found : undefined;
    });
    assert.deepEqual([attempt!.outcome, attempt!.statusCode, attempt!.tenantId, attempt!.attempt], ['sent', 200, admin.tenant.id, 1]);
    assert.ok(!JSON.stringify(app.logs).includes(secret), 'a signing secret reached the logs');
  });

  it("logs each agent call's outcome and duration", async () => {
    const { chatId } = await chatWithAgent(app, admin.token, standin.url('/sse'));
    const { assistantMessage } = await send(app, admin.token, chatId);
    await finalReply(app, admin.token, chatId, assistantMessage.id);
    const [call] = await eventually(() => {
      const found = linesWith('agent call ended', (line) => line.messageId === assistantMessage.id);
      return found.length ? found : undefined;
    });
    assert.equal(call!.outcome, 'completed');
    assert.equal(call!.tenantId, admin.tenant.id);
    assert.equal(typeof call!.durationMs, 'number');
  });
});
