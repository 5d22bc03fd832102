import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, wsClient } from './support/client.ts';
import { createKey, eventually, signUpTenant } from './support/fixtures.ts';
import { DeactivateApiKey, DeleteApiKey, Logout, OnAuditEvent } from './support/operations.ts';
import { backends } from './support/services.ts';

const UNAUTHORIZED = 4401;

for (const backend of backends()) {
  describe(`open WebSockets close when their credential is revoked (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    // On Redis the revocation is announced by one instance and heard by the one holding the socket.
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

    /** Connects to `other`, subscribes, and resolves once the connection is acknowledged and live. */
    async function connected(params: Record<string, unknown>) {
      const socket = wsClient(other.wsUrl, params);
      await new Promise<void>((resolve) => socket.client.on('connected', () => resolve()));
      const events = collect(socket.client, OnAuditEvent);
      // The revocation watch subscribes asynchronously on Redis; give it a moment to be in place.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return { ...socket, events };
    }

    const revokers = {
      deactivated: (id: string, token: string) => app.client.data(DeactivateApiKey, { id }, { token }),
      deleted: (id: string, token: string) => app.client.data(DeleteApiKey, { id }, { token }),
    };
    for (const [label, revoke] of Object.entries(revokers)) {
      it(`closes a connection authenticated with an API key that is ${label}`, async () => {
        const admin = await signUpTenant(app.client);
        const { key, apiKey } = await createKey(app.client, admin.token, ['audit:read']);
        const socket = await connected({ apiKey: key });
        const bystander = await connected({ authorization: `Bearer ${admin.token}` });
        await revoke(apiKey.id, admin.token);
        const closed = await eventually(() => socket.closes[0], 5000, 'the socket to close');
        assert.equal(closed.code, UNAUTHORIZED);
        assert.match(closed.reason, /revoked/i);
        assert.equal(bystander.closes.length, 0, 'a connection with another credential was closed');
        await bystander.client.dispose();
      });
    }

    it('closes the connections of a session that logs out, and only those', async () => {
      const admin = await signUpTenant(app.client);
      const otherTenant = await signUpTenant(app.client, 'Other');
      const socket = await connected({ authorization: `Bearer ${admin.token}` });
      const stranger = await connected({ authorization: `Bearer ${otherTenant.token}` });
      await app.client.data(Logout, {}, { token: admin.token });
      const closed = await eventually(() => socket.closes[0], 5000, 'the socket to close');
      assert.equal(closed.code, UNAUTHORIZED);
      assert.equal(stranger.closes.length, 0);
      await stranger.client.dispose();
    });
  });
}
