import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { createKey, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { CreateLead, OnLeadChanged } from './support/lead-operations.ts';
import { Login, Logout, Me, Refresh, UpdateApiKey } from './support/operations.ts';
import { backends } from './support/services.ts';

const UNAUTHORIZED = 4401;
const FORBIDDEN = 4403;

for (const backend of backends()) {
  describe(`credentials narrowed or revoked while in use (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    /** Where the credential is used; on Redis another instance than the one that changes it. */
    let other: RunningApp;
    before(async () => {
      const env = await backend.env();
      app = await startApp(env);
      other = backend.name === 'postgres+redis' ? await startApp(env) : app;
    });
    after(async () => {
      await app?.stop();
      if (other !== app) await other?.stop();
    });

    async function connected(params: Record<string, unknown>) {
      const socket = wsClient(other.wsUrl, params);
      await new Promise<void>((resolve) => socket.client.on('connected', () => resolve()));
      return socket;
    }

    it('closes an open socket when its API key loses a scope, and the reconnected socket is refused that scope', async () => {
      const admin = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, admin.token, ['leads:read', 'leads:write', 'api_keys:read']);
      const socket = await connected({ apiKey: key });
      const leads = collect(socket.client, OnLeadChanged);
      await eventually(async () => {
        await app.client.data(CreateLead, { input: { name: 'Before', source: 'MANUAL' } }, { apiKey: key });
        return leads.events.length > 0 || undefined;
      }, 5000, 'a lead event before the change');

      await app.client.data(UpdateApiKey, { id: apiKey.id, input: { scopes: ['leads:write', 'api_keys:read'] } }, { token: admin.token });
      const closed = await eventually(() => socket.closes[0], 5000, 'the socket to close');
      assert.equal(closed.code, FORBIDDEN, 'a code the stock client retries: the key still works');
      assert.match(closed.reason, /rights changed/);

      const again = await connected({ apiKey: key });
      const refused = collect(again.client, OnLeadChanged);
      const error = await eventually(() => [refused.errors[0]].flat()[0] as { extensions?: { code?: string } } | undefined, 5000, 'a refusal');
      assert.equal(error.extensions?.code, 'FORBIDDEN');
      await again.client.dispose();
    });

    it('closes an open socket when its API key gets a nearer expiry, and keeps it open for a rename', async () => {
      const admin = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, admin.token, ['leads:read']);
      const socket = await connected({ apiKey: key });
      await app.client.data(UpdateApiKey, { id: apiKey.id, input: { name: 'renamed' } }, { token: admin.token });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(socket.closes.length, 0, 'a rename takes nothing away');

      const soon = new Date(Date.now() + 3_600_000).toISOString();
      await app.client.data(UpdateApiKey, { id: apiKey.id, input: { expiresAt: soon } }, { token: admin.token });
      const closed = await eventually(() => socket.closes[0], 5000, 'the socket to close');
      assert.equal(closed.code, FORBIDDEN);
    });

    it("refuses a session's access token at once on every instance after logout, and leaves other sessions alone", async () => {
      const { email } = await signUpTenant(app.client);
      const first = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login;
      const second = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login;
      assert.equal((await other.client.data(Me, {}, { token: first.accessToken })).me.email, email);

      assert.equal((await app.client.data(Logout, {}, { token: first.accessToken })).logout, true);
      const refused = await eventually(async () => {
        const result = await other.client.request(Me, {}, { token: first.accessToken });
        return errorCode(result) === 'UNAUTHENTICATED' ? result : undefined;
      }, 2000, 'the other instance to refuse the token');
      assert.equal(refused.data, null);
      assert.equal(errorCode(await app.client.request(Me, {}, { token: first.accessToken })), 'UNAUTHENTICATED');
      assert.equal((await other.client.data(Me, {}, { token: second.accessToken })).me.email, email);
    });

    it('refuses every access token of a session whose refresh token was reused', async () => {
      const { email } = await signUpTenant(app.client);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      const { refresh } = await app.client.data(Refresh, { refreshToken: login.refreshToken });
      assert.equal(errorCode(await app.client.request(Refresh, { refreshToken: login.refreshToken })), 'UNAUTHENTICATED');
      for (const token of [login.accessToken, refresh.accessToken]) {
        await eventually(async () => {
          const result = await other.client.request(Me, {}, { token });
          return errorCode(result) === 'UNAUTHENTICATED' || undefined;
        }, 2000, 'the revoked token to be refused');
      }
    });

    it("refuses a signed-in logout that names another session's refresh token, which keeps working", async () => {
      const victim = await signUpTenant(app.client);
      const attacker = await signUpTenant(app.client);
      const refused = await app.client.request(Logout, { refreshToken: victim.refreshToken }, { token: attacker.token });
      assert.equal(errorCode(refused), 'FORBIDDEN');
      const { refresh } = await app.client.data(Refresh, { refreshToken: victim.refreshToken });
      assert.equal((await app.client.data(Me, {}, { token: victim.token })).me.email, victim.email);

      const own = await app.client.request(Logout, { refreshToken: refresh.refreshToken }, { token: refresh.accessToken });
      assert.equal(own.data?.logout, true, 'a signed-in caller may name its own session');
      assert.equal(errorCode(await app.client.request(Refresh, { refreshToken: refresh.refreshToken })), 'UNAUTHENTICATED');
    });

    it('lets a caller that is not signed in end the session of a refresh token it holds', async () => {
      const { email } = await signUpTenant(app.client);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      assert.equal((await app.client.data(Logout, { refreshToken: login.refreshToken })).logout, true);
      assert.equal(errorCode(await app.client.request(Me, {}, { token: login.accessToken })), 'UNAUTHENTICATED');
    });

    it('still closes a socket for good with 4401 when its session logs out', async () => {
      const { email } = await signUpTenant(app.client);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      const socket = await connected({ authorization: `Bearer ${login.accessToken}` });
      await app.client.data(Logout, {}, { token: login.accessToken });
      assert.equal((await eventually(() => socket.closes[0], 5000, 'the socket to close')).code, UNAUTHORIZED);
    });
  });
}
