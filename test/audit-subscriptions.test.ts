import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { addMember, createKey, eventually, PASSWORD, signUpTenant, sseSubscribe, triggerUntilReceived } from './support/fixtures.ts';
import { Login, OnAuditEvent } from './support/operations.ts';
import { backends } from './support/services.ts';

type AuditEventShape = { id: string; type: string; actor: { type: string; id: string | null }; data: unknown };

/** The codes of whatever errors a subscription received, however graphql-ws delivered them. */
function codesOf(errors: unknown[]): unknown[] {
  return errors.flat().map((error) => (error as { extensions?: { code?: string } }).extensions?.code);
}

for (const backend of backends()) {
  describe(`auditEventCreated subscription (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    const clients: Client[] = [];
    before(async () => {
      app = await startApp(await backend.env());
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
    });
    after(() => app?.stop());

    const connect = (params: Record<string, unknown>) => {
      const { client } = wsClient(app.wsUrl, params);
      clients.push(client);
      return client;
    };
    const login = (email: string) => app.client.data(Login, { input: { email, password: PASSWORD } });
    const loginOf = (userId: string) => (events: { auditEventCreated: AuditEventShape }[]) =>
      events.map((event) => event.auditEventCreated).find((event) => event.type === 'LOGIN_SUCCEEDED' && event.actor.id === userId);

    it('an admin subscribed over WebSocket receives LOGIN_SUCCEEDED when they sign in over HTTP', async () => {
      const { token, email, user } = await signUpTenant(app.client);
      const subscription = collect(connect({ authorization: `Bearer ${token}` }), OnAuditEvent);
      const event = await triggerUntilReceived(() => login(email), () => loginOf(user.id)(subscription.events));
      assert.deepEqual(event.actor, { type: 'USER', id: user.id });
      assert.deepEqual(event.data, { email });
      assert.deepEqual(subscription.errors, []);
    });

    it("a subscriber of another tenant receives nothing of a tenant's events", async () => {
      const tenantA = await signUpTenant(app.client, 'Alpha');
      const tenantB = await signUpTenant(app.client, 'Beta');
      const subscriberA = collect(connect({ authorization: `Bearer ${tenantA.token}` }), OnAuditEvent);
      const subscriberB = collect(connect({ authorization: `Bearer ${tenantB.token}` }), OnAuditEvent);
      // Both subscriptions are live once each has heard its own tenant's sign-in.
      await triggerUntilReceived(() => login(tenantB.email), () => loginOf(tenantB.user.id)(subscriberB.events));
      const heardByB = subscriberB.events.length;

      await triggerUntilReceived(() => login(tenantA.email), () => loginOf(tenantA.user.id)(subscriberA.events));
      await createKey(app.client, tenantA.token);
      await eventually(() => subscriberA.events.find((event) => event.auditEventCreated.type === 'API_KEY_CREATED'));
      await delay(300);
      assert.equal(subscriberB.events.length, heardByB);
      assert.ok(subscriberB.events.every((event) => event.auditEventCreated.actor.id === tenantB.user.id));
      assert.ok(!subscriberA.events.some((event) => event.auditEventCreated.actor.id === tenantB.user.id));
    });

    it("a member's subscription is refused with FORBIDDEN", async () => {
      const { token } = await signUpTenant(app.client);
      const { email } = await addMember(app.client, token);
      const { login: member } = await login(email);
      const subscription = collect(connect({ authorization: `Bearer ${member.accessToken}` }), OnAuditEvent);
      await eventually(() => (subscription.errors.length ? true : undefined));
      assert.deepEqual(codesOf(subscription.errors), ['FORBIDDEN']);
      assert.equal(subscription.events.length, 0);
    });

    it('an API key in connectionParams subscribes with audit:read, and is refused without it', async () => {
      const { token, email, user } = await signUpTenant(app.client);
      const reader = await createKey(app.client, token, ['audit:read']);
      const subscription = collect(connect({ apiKey: reader.key }), OnAuditEvent);
      await triggerUntilReceived(() => login(email), () => loginOf(user.id)(subscription.events));

      const other = await createKey(app.client, token, ['api_keys:read']);
      const refused = collect(connect({ apiKey: other.key }), OnAuditEvent);
      await eventually(() => (refused.errors.length ? true : undefined));
      assert.deepEqual(codesOf(refused.errors), ['FORBIDDEN']);
    });

    it('over SSE (POST with accept: text/event-stream) an admin receives the events of their tenant', async () => {
      const { token, email, user } = await signUpTenant(app.client);
      const stream = sseSubscribe(app.origin, print(OnAuditEvent), { authorization: `Bearer ${token}` });
      try {
        const event = await triggerUntilReceived(
          () => login(email),
          () => {
            if (stream.failures.length) throw stream.failures[0];
            return loginOf(user.id)(stream.events.map((event) => event.data as { auditEventCreated: AuditEventShape }));
          },
        );
        assert.deepEqual(event.actor, { type: 'USER', id: user.id });
        assert.ok(stream.events.every((event) => event.errors === undefined));
      } finally {
        stream.close();
        await stream.done;
      }
    });

    it("over SSE a member's subscription answers FORBIDDEN", async () => {
      const { token } = await signUpTenant(app.client);
      const { email } = await addMember(app.client, token);
      const { login: member } = await login(email);
      const stream = sseSubscribe(app.origin, print(OnAuditEvent), { authorization: `Bearer ${member.accessToken}` });
      try {
        await eventually(() => (stream.events.length || stream.failures.length ? true : undefined));
        assert.deepEqual(stream.failures, []);
        assert.deepEqual(codesOf(stream.events.flatMap((event) => event.errors ?? [])), ['FORBIDDEN']);
      } finally {
        stream.close();
        await stream.done;
      }
    });
  });
}
