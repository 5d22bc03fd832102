import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { decodeJwt, type JWTPayload } from 'jose';
import { startAgentStandin, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { collect } from './support/client.ts';
import { assertContiguous, controlledChat, finalReply, send } from './support/conversations.ts';
import { eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { AuditEvents, Login, OnAuditEvent } from './support/operations.ts';
import { HandoverRelay, OperationHandovers } from '../src/http/operation-handover.ts';
import { AsyncQueue } from '../src/pubsub/queue.ts';
import { refreshingClient } from './support/refreshing-client.ts';
import { backends } from './support/services.ts';
import { OnMessageStream } from './support/stream-operations.ts';

const FORBIDDEN = 4403;

/**
 * The README's client recipe. The first token lives `firstLifetimeSeconds`, later ones a minute;
 * the retry waits long enough that events are published while no socket is open.
 */
type ExpiringClientOptions = { firstLifetimeSeconds?: number; operationId?: string; beforeReconnect?: () => Promise<unknown> };
const expiringClient = (app: RunningApp, claims: JWTPayload, { firstLifetimeSeconds = 2, ...options }: ExpiringClientOptions = {}) =>
  refreshingClient(app, claims, { lifetimeSeconds: (connect) => (connect === 0 ? firstLifetimeSeconds : 60), retryWaitMs: 400, ...options });

describe('HandoverRelay', () => {
  const result = (n: number) => ({ data: { n } });
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('keeps a taken-over subscription when the socket it left is torn down late, and holds what came meanwhile', async () => {
    let stopped = false;
    const source = new AsyncQueue<{ data: { n: number } }>(() => void (stopped = true));
    const handovers = new OperationHandovers();
    const relay = new HandoverRelay(() => {});
    const oldSocket = relay.relay(source, () => {});
    source.push(result(1));
    assert.deepEqual((await oldSocket.next()).value, result(1));
    const pendingOnOldSocket = oldSocket.next();
    handovers.park('key', relay);
    source.push(result(2));
    source.push(result(3));
    await settle();
    const newSocket = handovers.claim('key')!.attach(() => {}, () => {});
    await oldSocket.return!();
    assert.deepEqual(await pendingOnOldSocket, { value: undefined, done: true }, 'the old socket gets nothing more');
    assert.equal(stopped, false, 'the late teardown of the old socket does not stop it');
    assert.deepEqual((await newSocket.next()).value, result(2));
    assert.deepEqual((await newSocket.next()).value, result(3));
    await newSocket.return!();
    assert.equal(stopped, true, 'the new socket stops it for good');
  });

  it('lets nobody take over a parked subscription that held more than it may', async () => {
    const source = new AsyncQueue<{ data: { n: number } }>();
    const handovers = new OperationHandovers();
    const relay = new HandoverRelay(() => {});
    relay.relay(source, () => {});
    handovers.park('key', relay);
    for (let n = 0; n <= 1_000; n++) source.push(result(n));
    await settle();
    for (let round = 0; round < 5 && relay.claimable; round++) await settle();
    assert.equal(handovers.claim('key'), null, 'the client starts afresh instead of getting a cut stream');
  });
});

for (const backend of backends()) {
  describe(`subscriptions across a token expiry (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let standin: AgentStandin;
    before(async () => {
      [app, standin] = await Promise.all([startApp(await backend.env()), startAgentStandin()]);
    });
    after(async () => {
      await app?.stop();
      await standin?.close();
    });

    async function signedIn() {
      const admin = await signUpTenant(app.client);
      return { ...admin, claims: decodeJwt(admin.token) };
    }

    const signIns = async (token: string) => {
      const { auditEvents } = await app.client.data(AuditEvents, { first: 500 }, { token });
      return auditEvents.edges
        .map((edge) => edge.node)
        .filter((event) => event.type === 'LOGIN_SUCCEEDED')
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
        .map((event) => event.id);
    };

    it('delivers every event published while the client reconnects, once each, in order', async () => {
      const admin = await signedIn();
      let signedInWhileAway = 0;
      // On a busy machine one sign-in can outlast the reconnect wait: the client waits for one.
      const awaySignIn = () => eventually(() => (signedInWhileAway > 0 ? true : undefined), 10_000, 'a sign-in while the client is away');
      const { client, closes, connects, isOpen } = expiringClient(app, admin.claims, { beforeReconnect: awaySignIn });
      try {
        const subscription = collect(client, OnAuditEvent);
        const received = () => subscription.events.map((event) => event.auditEventCreated).filter((event) => event.type === 'LOGIN_SUCCEEDED');
        const login = () => app.client.data(Login, { input: { email: admin.email, password: PASSWORD } });
        await triggerUntilReceived(login, () => (received().length > 0 ? true : undefined));

        // Sign-ins every 50 ms, from before the token expires until well after the client came back.
        const reconnected = eventually(() => (closes.includes(FORBIDDEN) && connects() >= 2 ? true : undefined), 10_000, 'the expiry and the reconnect');
        let producing = true;
        const producer = (async () => {
          while (producing) {
            const away = !isOpen();
            await login();
            if (away && !isOpen()) signedInWhileAway++;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })();
        await reconnected;
        await new Promise((resolve) => setTimeout(resolve, 500));
        producing = false;
        await producer;

        const stored = await signIns(admin.token);
        const firstHeard = stored.indexOf(received()[0]!.id);
        const expected = stored.slice(firstHeard);
        await eventually(() => (received().length >= expected.length ? true : undefined), 5000, 'every sign-in to arrive');
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.ok(signedInWhileAway > 0, 'some sign-ins happened while the client had no socket');
        assert.deepEqual(received().map((event) => event.id), expected, 'none missing, none repeated, in order');
        assert.deepEqual(subscription.errors, []);
        assert.equal(subscription.completed, false);
      } finally {
        await client.dispose();
      }
    });

    it('carries a reply stream across the reconnect without gap or repeat, with the original subscribe message', async () => {
      const admin = await signedIn();
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId, 'Count slowly');
      await upstream.arrived;
      const { client, closes, connects } = expiringClient(app, admin.claims);
      try {
        // Unlike the resume recipe, afterSeq is never updated: the retry re-sends the first subscribe as it was.
        const stream = collect(client, OnMessageStream, { messageId: assistantMessage.id });
        const tokens = Array.from({ length: 40 }, (_, index) => `t${index} `);
        const reconnected = eventually(() => (closes.includes(FORBIDDEN) && connects() >= 2 ? true : undefined), 10_000, 'the expiry and the reconnect');
        let sent = 0;
        const sending = (async () => {
          while (sent < tokens.length) {
            upstream.send(tokens[sent++]!);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        })();
        await reconnected;
        await sending;
        upstream.end();
        const reply = await finalReply(app, admin.token, chatId, assistantMessage.id);
        await eventually(() => (stream.completed ? true : undefined), 5000, 'the stream to complete');

        const events = stream.events.map((event) => event.messageStream);
        assertContiguous(events.map((event) => event.seq), 1, reply.lastSeq!);
        const deltas = events.filter((event) => event.type === 'TOKEN').map((event) => event.delta).join('');
        assert.equal(reply.status, 'COMPLETED');
        assert.equal(deltas, reply.content);
        assert.equal(deltas, tokens.join(''));
        assert.deepEqual(stream.errors, []);
      } finally {
        await client.dispose();
      }
    });

    it('hands a parked subscription to nobody but its own session: another tenant reusing the operation id gets its own', async () => {
      const [owner, intruder] = [await signedIn(), await signedIn()];
      const operationId = randomUUID();
      const ownerClient = expiringClient(app, owner.claims, { operationId, firstLifetimeSeconds: 2 });
      const intruderClient = expiringClient(app, intruder.claims, { operationId, firstLifetimeSeconds: 60 });
      const clients: Client[] = [ownerClient.client];
      try {
        const ownerSubscription = collect(ownerClient.client, OnAuditEvent);
        await triggerUntilReceived(
          () => app.client.data(Login, { input: { email: owner.email, password: PASSWORD } }),
          () => (ownerSubscription.events.length > 0 ? true : undefined),
        );
        // Once the owner's socket closed, its subscription waits parked; the intruder then subscribes with the same id and payload.
        await eventually(() => (ownerClient.closes.includes(FORBIDDEN) ? true : undefined), 6000, 'the owner token to expire');
        await ownerClient.client.dispose();
        await app.client.data(Login, { input: { email: owner.email, password: PASSWORD } });
        clients.push(intruderClient.client);
        const intruderSubscription = intruderClient.client.subscribe<{ auditEventCreated: { actor: { id: string } | null; type: string } }>(
          { query: print(OnAuditEvent) },
          { next: (result) => intruderEvents.push(result.data!.auditEventCreated), error: () => {}, complete: () => {} },
        );
        const intruderEvents: { actor: { id: string } | null; type: string }[] = [];
        await triggerUntilReceived(
          () => app.client.data(Login, { input: { email: intruder.email, password: PASSWORD } }),
          () => (intruderEvents.length > 0 ? true : undefined),
        );
        intruderSubscription();
        const intruderId = String(intruder.claims.sub);
        assert.ok(intruderEvents.every((event) => event.actor?.id === intruderId), JSON.stringify(intruderEvents));
      } finally {
        await Promise.all(clients.map((client) => client.dispose()));
      }
    });
  });
}
