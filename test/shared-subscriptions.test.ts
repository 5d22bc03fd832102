import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';
import { SharedSubscriptions } from '../src/http/shared-subscriptions.ts';
import { AsyncQueue } from '../src/pubsub/queue.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { OnChannelMessageReceived } from './support/channel-operations.ts';
import { connectChannelSession, messengerText, postWebhook } from './support/channel-fixtures.ts';
import { collect, wsClient } from './support/client.ts';
import { PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { CreateUser, Login, OnAuditEvent } from './support/operations.ts';
import { backends } from './support/services.ts';

/** How long to wait for something that must not arrive, after something sent later already has. */
const QUIET_MS = 300;

describe('SharedSubscriptions', () => {
  const result = (n: number): ExecutionResult => ({ data: { n } });
  /** A member's deliveries, parsed, and its stream. */
  const member = () => {
    const delivered: unknown[] = [];
    return { delivered, deliver: (json: string) => delivered.push(JSON.parse(json)) };
  };
  const stream = (started: unknown) => started as AsyncIterableIterator<ExecutionResult>;

  it('runs one execution for every member, from each one’s joining on, and stops it when the last leaves', async () => {
    const shared = new SharedSubscriptions();
    let starts = 0;
    let stopped = false;
    const source = new AsyncQueue<ExecutionResult>(() => void (stopped = true));
    const start = async () => {
      starts++;
      return source;
    };
    const [one, two] = [member(), member()];
    const first = stream(await shared.join('key', start, one.deliver));
    source.push(result(1));
    await delay(0);
    const second = stream(await shared.join('key', start, two.deliver));
    source.push(result(2));
    await delay(0);
    assert.equal(starts, 1);
    assert.deepEqual(one.delivered, [{ data: { n: 1 } }, { data: { n: 2 } }]);
    assert.deepEqual(two.delivered, [{ data: { n: 2 } }], 'a late member hears nothing from before it joined');
    await first.return!();
    assert.equal(stopped, false, 'a member is left');
    source.push(result(3));
    await delay(0);
    assert.deepEqual(two.delivered.at(-1), { data: { n: 3 } });
    assert.equal(one.delivered.length, 2, 'a member that left hears nothing more');
    await second.return!();
    await delay(0);
    assert.equal(stopped, true);
    assert.equal(shared.size, 0);
  });

  it('gives a stream member the results past its own position, those already produced first, by the position each carries', async () => {
    const shared = new SharedSubscriptions();
    let starts = 0;
    const source = new AsyncQueue<ExecutionResult>();
    const start = async () => {
      starts++;
      return source;
    };
    const event = (seq: number): ExecutionResult => ({ data: { stream: { seq } } });
    const from = (after: number) => ({ after, path: ['stream', 'seq'] as const });
    const [fromStart, resumed, ahead] = [member(), member(), member()];
    await shared.join('stream', start, fromStart.deliver, from(0));
    // A stream whose early events are gone: it goes from 1 straight to 5.
    for (const seq of [1, 5]) source.push(event(seq));
    await delay(0);
    await shared.join('stream', start, resumed.deliver, from(3));
    await shared.join('stream', start, ahead.deliver, from(5));
    source.push(event(6));
    source.push({ errors: [{ message: 'no position' }] } as unknown as ExecutionResult);
    await delay(0);
    const seqs = (delivered: unknown[]) => delivered.map((result) => (result as { data?: { stream: { seq: number } } }).data?.stream.seq ?? 'error');
    assert.equal(starts, 1);
    assert.deepEqual(seqs(fromStart.delivered), [1, 5, 6, 'error']);
    assert.deepEqual(seqs(resumed.delivered), [5, 6, 'error'], 'what was produced before it joined, past its position, then live');
    assert.deepEqual(seqs(ahead.delivered), [6, 'error']);
  });

  it('gives the last event of a stream to a member that resumed past it, and to nobody twice', async () => {
    const shared = new SharedSubscriptions();
    const source = new AsyncQueue<ExecutionResult>();
    const start = async () => source;
    const from = (after: number) => ({ after, path: ['stream', 'seq'] as const });
    const [beyond, caughtUp] = [member(), member()];
    await shared.join('stream', start, beyond.deliver, from(40));
    await shared.join('stream', start, caughtUp.deliver, from(35));
    // The log is gone: the stream is its last event alone, numbered below where one member resumed.
    source.push({ data: { stream: { seq: 35, type: 'DONE' } } });
    source.end();
    await delay(0);
    assert.deepEqual(beyond.delivered, [{ data: { stream: { seq: 35, type: 'DONE' } } }]);
    assert.deepEqual(caughtUp.delivered, [], 'a member that saw the last event does not get it again');
  });

  it('gives every member a refusal as it is, and starts again for the next member', async () => {
    const shared = new SharedSubscriptions();
    const refusal: ExecutionResult = { errors: [] };
    let starts = 0;
    const start = async () => {
      starts++;
      await delay(10);
      return refusal;
    };
    const [a, b] = await Promise.all([shared.join('key', start, member().deliver), shared.join('key', start, member().deliver)]);
    assert.equal(a, refusal);
    assert.equal(b, refusal);
    assert.equal(starts, 1);
    await shared.join('key', start, member().deliver);
    assert.equal(starts, 2);
  });

  it('ends every member’s stream when the execution ends, and fails it when the execution fails', async () => {
    const shared = new SharedSubscriptions();
    const source = new AsyncQueue<ExecutionResult>();
    const members = await Promise.all([1, 2].map(() => shared.join('ends', async () => source, member().deliver)));
    source.end();
    for (const started of members) assert.equal((await stream(started).next()).done, true);
    const failing = new AsyncQueue<ExecutionResult>();
    const others = await Promise.all([1, 2].map(() => shared.join('fails', async () => failing, member().deliver)));
    failing.fail(new Error('broken'));
    for (const started of others) await assert.rejects(stream(started).next(), /broken/);
  });
});

for (const backend of backends()) {
  describe(`one subscription document, subscribers with different rights (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    const sockets: Client[] = [];
    before(async () => {
      app = await startApp(await backend.env());
    });
    afterEach(() => Promise.all(sockets.splice(0).map((socket) => socket.dispose())));
    after(() => app?.stop());

    const subscriber = (connectionParams: Record<string, string>) => {
      const { client } = wsClient(app.wsUrl, connectionParams);
      sockets.push(client);
      return client;
    };

    it('each gets what its own execution gives: two admins of a tenant, its member, and another tenant’s admin', async () => {
      const acme = await signUpTenant(app.client, 'Acme');
      const globex = await signUpTenant(app.client, 'Globex');
      await app.client.data(CreateUser, { input: { email: `member-${acme.email}`, password: PASSWORD, role: 'USER' } }, { token: acme.token });
      const { login: member } = await app.client.data(Login, { input: { email: `member-${acme.email}`, password: PASSWORD } });
      const admins = [acme.token, acme.token].map((token) => collect(subscriber({ authorization: `Bearer ${token}` }), OnAuditEvent));
      const memberEvents = collect(subscriber({ authorization: `Bearer ${member.accessToken}` }), OnAuditEvent);
      const globexEvents = collect(subscriber({ authorization: `Bearer ${globex.token}` }), OnAuditEvent);

      await triggerUntilReceived(
        () => app.client.data(Login, { input: { email: acme.email, password: PASSWORD } }),
        () => (admins.every((admin) => admin.events.length > 0) ? true : undefined),
      );
      await triggerUntilReceived(
        () => app.client.data(Login, { input: { email: globex.email, password: PASSWORD } }),
        () => (globexEvents.events.length > 0 ? true : undefined),
      );
      await delay(QUIET_MS);
      for (const admin of admins) {
        assert.ok(admin.events.every(({ auditEventCreated }) => auditEventCreated.actor.id === acme.user.id));
      }
      assert.ok(globexEvents.events.every(({ auditEventCreated }) => auditEventCreated.actor.id === globex.user.id));
      assert.deepEqual(memberEvents.events, [], 'the member joined the admins’ execution');
      assert.match(JSON.stringify(memberEvents.errors), /FORBIDDEN|not allowed|admin/i);
    });

    it('a channel session’s key hears its session only, beside an admin who hears every session, on one document', async () => {
      const admin = await signUpTenant(app.client, 'Channels');
      const [mine, other] = await Promise.all([
        connectChannelSession(app.client, admin.token, 'MESSENGER'),
        connectChannelSession(app.client, admin.token, 'MESSENGER'),
      ]);
      const everything = collect(subscriber({ authorization: `Bearer ${admin.token}` }), OnChannelMessageReceived, {});
      const sessionKey = collect(subscriber({ apiKey: mine.apiKey }), OnChannelMessageReceived, {});
      const post = (session: typeof mine, text: string) =>
        postWebhook(app.origin, 'messenger', session.id, messengerText(session.phoneNumberId, [{ text }]), { appSecret: session.appSecret });
      await triggerUntilReceived(
        () => post(mine, 'to mine'),
        () => (everything.events.length > 0 && sessionKey.events.length > 0 ? true : undefined),
      );
      await triggerUntilReceived(
        () => post(other, 'to the other'),
        () => (everything.events.some(({ channelMessageReceived }) => channelMessageReceived.sessionId === other.id) ? true : undefined),
      );
      await delay(QUIET_MS);
      assert.ok(sessionKey.events.length > 0);
      assert.ok(sessionKey.events.every(({ channelMessageReceived }) => channelMessageReceived.sessionId === mine.id));
    });
  });
}
