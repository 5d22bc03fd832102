import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { ApiKeys, CreateApiKey, DeactivateApiKey, Login, Me, OnAuditEvent, UpdateApiKey } from './support/operations.ts';
import { backends } from './support/services.ts';

const postgresAndRedis = backends().find((backend) => backend.name === 'postgres+redis')!;

describe('several instances on one Postgres and Redis', { skip: postgresAndRedis.skip }, () => {
  let a: RunningApp;
  let b: RunningApp;
  before(async () => {
    const env = await postgresAndRedis.env();
    // Both start on an empty database at once: migrations must be applied exactly once.
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  });
  after(() => Promise.all([a?.stop(), b?.stop()]));

  it('start together on an empty database', async () => {
    for (const app of [a, b]) assert.equal((await fetch(`${app.origin}/ready`)).status, 200);
  });

  it('delivers an audit event caused on instance A to a subscriber on instance B', async () => {
    const acme = await signUpTenant(a.client, 'Acme');
    const other = await signUpTenant(a.client, 'Other');
    const onB = wsClient(b.wsUrl, { authorization: `Bearer ${acme.token}` });
    const otherOnB = wsClient(b.wsUrl, { authorization: `Bearer ${other.token}` });
    const acmeEvents = collect(onB.client, OnAuditEvent);
    const otherEvents = collect(otherOnB.client, OnAuditEvent);
    try {
      // A subscription is live once the subscriber connection has subscribed in Redis; retry the cause until it lands.
      let received = false;
      for (let attempt = 0; attempt < 20 && !received; attempt++) {
        await a.client.data(Login, { input: { email: acme.email, password: PASSWORD } });
        received = await acmeEvents.next(1, 250).then(
          () => true,
          () => false,
        );
      }
      assert.ok(received, `the subscriber on B never heard the login on A: ${JSON.stringify(acmeEvents.errors)}`);
      const event = acmeEvents.events[0]!.auditEventCreated;
      assert.equal(event.type, 'LOGIN_SUCCEEDED');
      assert.equal(event.actor.id, acme.user.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(otherEvents.events.length, 0, 'another tenant heard the event');
    } finally {
      acmeEvents.unsubscribe();
      otherEvents.unsubscribe();
      await Promise.all([onB.client.dispose(), otherOnB.client.dispose()]);
    }
  });

  describe('an API key B has just accepted', () => {
    it('is refused on B as soon as A deactivates it, long before B would read it again', async () => {
      const acme = await signUpTenant(a.client, 'Keys');
      const { createApiKey } = await a.client.data(CreateApiKey, { input: { name: 'integration' } }, { token: acme.token });
      const key = createApiKey.key;
      assert.equal((await b.client.data(Me, {}, { apiKey: key })).me.id, acme.user.id);
      await a.client.data(DeactivateApiKey, { id: createApiKey.apiKey.id }, { token: acme.token });
      const refusedAt = Date.now();
      await eventually(async () => errorCode(await b.client.request(Me, {}, { apiKey: key })) === 'UNAUTHENTICATED' || undefined, 1000, 'B refusing the key');
      assert.ok(Date.now() - refusedAt < 1000);
    });

    it('gains on B, within seconds, a scope A adds to it', async () => {
      const acme = await signUpTenant(a.client, 'Widened');
      const { createApiKey } = await a.client.data(CreateApiKey, { input: { name: 'narrow', scopes: ['users:read'] } }, { token: acme.token });
      const key = createApiKey.key;
      assert.equal(errorCode(await b.client.request(ApiKeys, {}, { apiKey: key })), 'FORBIDDEN');
      await a.client.data(UpdateApiKey, { id: createApiKey.apiKey.id, input: { scopes: ['users:read', 'api_keys:read'] } }, { token: acme.token });
      const listed = await eventually(async () => (await b.client.request(ApiKeys, {}, { apiKey: key })).data?.apiKeys, 8000, 'B granting the added scope');
      assert.deepEqual(listed.map((apiKey) => apiKey.id), [createApiKey.apiKey.id]);
    });
  });

  it('share one user base: a user created through A signs in through B', async () => {
    const acme = await signUpTenant(a.client, 'Shared');
    const { login } = await b.client.data(Login, { input: { email: acme.email, password: PASSWORD } });
    assert.equal(login.user.id, acme.user.id);
  });
});
