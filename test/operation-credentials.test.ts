import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { addMember, createKey, eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { CreateApiKey, Login, Logout, OnAuditEvent } from './support/operations.ts';
import { backends } from './support/services.ts';

type Audit = { auditEventCreated: { type: string; actor: { id: string | null } } };

const codesOf = (errors: unknown[]) => errors.map((error) => (error as { extensions?: { code?: string } }).extensions?.code);
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/**
 * GraphiQL's way: an empty connection_init, and the Headers tab in each subscribe message's
 * `extensions.headers`.
 */
for (const backend of backends()) {
  describe(`credentials sent with an operation, as GraphiQL sends them (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    const clients: Client[] = [];
    before(async () => {
      app = await startApp(await backend.env());
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.dispose()));
    });
    after(() => app?.stop());

    const anonymousConnection = () => {
      const { client, closes } = wsClient(app.wsUrl, {});
      clients.push(client);
      return { client, closes };
    };
    const login = (email: string) => app.client.data(Login, { input: { email, password: PASSWORD } });
    const loginOf = (userId: string) => (events: Audit[]) =>
      events.find((event) => event.auditEventCreated.type === 'LOGIN_SUCCEEDED' && event.auditEventCreated.actor.id === userId);

    it('streams to an operation carrying Authorization or X-API-Key on a connection opened without credentials, each seeing only its own tenant', async () => {
      const alpha = await signUpTenant(app.client, 'Alpha');
      const beta = await signUpTenant(app.client, 'Beta');
      const { key: betaKey } = await createKey(app.client, beta.token, ['audit:read']);
      const { client } = anonymousConnection();
      const byToken = collect(client, OnAuditEvent, undefined, bearer(alpha.token));
      const byKey = collect(client, OnAuditEvent, undefined, { headers: { 'X-API-Key': betaKey } });
      await triggerUntilReceived(() => login(alpha.email), () => loginOf(alpha.user.id)(byToken.events));
      await triggerUntilReceived(() => login(beta.email), () => loginOf(beta.user.id)(byKey.events));
      assert.ok(byToken.events.every((event) => event.auditEventCreated.actor.id !== beta.user.id), 'Alpha saw nothing of Beta');
      assert.ok(byKey.events.every((event) => event.auditEventCreated.actor.id !== alpha.user.id), 'Beta saw nothing of Alpha');
      assert.deepEqual([...byToken.errors, ...byKey.errors], []);
    });

    it('refuses a bad credential for that operation only, and a member without the right as FORBIDDEN', async () => {
      const admin = await signUpTenant(app.client);
      const member = await addMember(app.client, admin.token);
      const memberToken = (await login(member.email)).login.accessToken;
      const { client, closes } = anonymousConnection();
      const forged = collect(client, OnAuditEvent, undefined, bearer(`${admin.token}x`));
      const asMember = collect(client, OnAuditEvent, undefined, bearer(memberToken));
      await eventually(() => (forged.errors.length > 0 && asMember.errors.length > 0 ? true : undefined));
      assert.deepEqual(codesOf(forged.errors.flat()), ['UNAUTHENTICATED']);
      assert.deepEqual(codesOf(asMember.errors.flat()), ['FORBIDDEN']);
      const allowed = collect(client, OnAuditEvent, undefined, bearer(admin.token));
      await triggerUntilReceived(() => login(admin.email), () => loginOf(admin.user.id)(allowed.events));
      assert.deepEqual(closes, [], 'the connection stays open');
    });

    it('ends the operation with UNAUTHENTICATED when its credential expires or its session logs out, and leaves the connection open', async () => {
      const admin = await signUpTenant(app.client);
      const second = (await login(admin.email)).login;
      const expiresAt = new Date(Date.now() + 3_000).toISOString();
      const { createApiKey } = await app.client.data(CreateApiKey, { input: { name: 'short-lived', scopes: ['audit:read'], expiresAt } }, { token: admin.token });
      const { client, closes } = anonymousConnection();
      const expiring = collect(client, OnAuditEvent, undefined, { headers: { 'x-api-key': createApiKey.key } });
      const loggedOut = collect(client, OnAuditEvent, undefined, bearer(second.accessToken));
      await triggerUntilReceived(() => login(admin.email), () => loginOf(admin.user.id)(loggedOut.events));
      await app.client.data(Logout, { refreshToken: second.refreshToken }, { token: second.accessToken });
      await eventually(() => (loggedOut.errors.length > 0 ? true : undefined), 5_000, 'the logged-out operation to end');
      assert.deepEqual(codesOf(loggedOut.errors.flat()), ['UNAUTHENTICATED']);
      await eventually(() => (expiring.errors.length > 0 ? true : undefined), 10_000, 'the key to expire');
      assert.deepEqual(codesOf(expiring.errors.flat()), ['UNAUTHENTICATED']);
      assert.match(String((expiring.errors.flat()[0] as { message: string }).message), /expired/);
      const renewed = collect(client, OnAuditEvent, undefined, bearer(admin.token));
      await triggerUntilReceived(() => login(admin.email), () => loginOf(admin.user.id)(renewed.events));
      assert.deepEqual(closes, [], 'the connection stays open');
    });
  });
}
