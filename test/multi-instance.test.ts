import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login, OnAuditEvent } from './support/operations.ts';
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

  it('share one user base: a user created through A signs in through B', async () => {
    const acme = await signUpTenant(a.client, 'Shared');
    const { login } = await b.client.data(Login, { input: { email: acme.email, password: PASSWORD } });
    assert.equal(login.user.id, acme.user.id);
  });
});
