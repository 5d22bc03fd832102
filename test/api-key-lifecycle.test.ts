import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { ApiKeyById, AuditEvents, DeactivateApiKey, Login, Me, ReactivateApiKey, UpdateApiKey } from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`API keys: one by id, and reactivation (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    /** An admin, and a USER-role member of the same tenant, both signed in. */
    const team = async () => {
      const admin = await signUpTenant(app.client);
      const { email, user } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      return { admin, member: { user, token: login.accessToken } };
    };
    const works = async (key: string) => (await app.client.request(Me, {}, { apiKey: key })).errors === undefined;

    it("apiKey(id) answers a key to its owner and the team's admins, active or not, and NOT_FOUND to anyone else", async () => {
      const { admin, member } = await team();
      const memberKey = await createKey(app.client, member.token);
      const adminKey = await createKey(app.client, admin.token);
      await app.client.data(DeactivateApiKey, { id: memberKey.apiKey.id }, { token: member.token });

      for (const token of [member.token, admin.token]) {
        const { apiKey } = await app.client.data(ApiKeyById, { id: memberKey.apiKey.id }, { token });
        assert.deepEqual(
          { id: apiKey?.id, lastFour: apiKey?.lastFour, isActive: apiKey?.isActive, owner: apiKey?.createdBy.id },
          { id: memberKey.apiKey.id, lastFour: memberKey.key.slice(-4), isActive: false, owner: member.user.id },
        );
        assert.ok(!JSON.stringify(apiKey).includes(memberKey.key), 'the key itself is never shown again');
      }
      const stranger = await signUpTenant(app.client, 'Other team');
      for (const [token, id] of [[member.token, adminKey.apiKey.id], [stranger.token, memberKey.apiKey.id], [admin.token, '01a00000-0000-7000-8000-000000000000']] as const) {
        const refused = await app.client.request(ApiKeyById, { id }, { token });
        assert.equal(errorCode(refused), 'NOT_FOUND');
        assert.equal(refused.data?.apiKey ?? null, null);
      }
    });

    it('reactivateApiKey makes a deactivated key work again, audited, for its owner or an admin', async () => {
      const { admin, member } = await team();
      const key = await createKey(app.client, member.token, ['chats:read', 'api_keys:read']);
      await app.client.data(DeactivateApiKey, { id: key.apiKey.id }, { token: member.token });
      assert.equal(await works(key.key), false);

      const { reactivateApiKey } = await app.client.data(ReactivateApiKey, { id: key.apiKey.id }, { token: member.token });
      assert.deepEqual({ isActive: reactivateApiKey.isActive, scopes: [...reactivateApiKey.scopes].sort() }, { isActive: true, scopes: ['api_keys:read', 'chats:read'] });
      assert.equal(await works(key.key), true);

      await app.client.data(DeactivateApiKey, { id: key.apiKey.id }, { token: admin.token });
      assert.equal((await app.client.data(ReactivateApiKey, { id: key.apiKey.id }, { token: admin.token })).reactivateApiKey.isActive, true);
      assert.equal(await works(key.key), true);

      const { auditEvents } = await app.client.data(AuditEvents, { first: 20 }, { token: admin.token });
      const reactivations = auditEvents.edges.map((edge) => edge.node).filter((event) => event.type === 'API_KEY_REACTIVATED');
      assert.equal(reactivations.length, 2);
    });

    it('refuses to reactivate for an API key, for another member or team, and an expired key until it has a new expiry', async () => {
      const { admin, member } = await team();
      const adminKey = await createKey(app.client, admin.token);
      await app.client.data(DeactivateApiKey, { id: adminKey.apiKey.id }, { token: admin.token });

      const writer = await createKey(app.client, admin.token, ['api_keys:read', 'api_keys:write']);
      const byKey = await app.client.request(ReactivateApiKey, { id: adminKey.apiKey.id }, { apiKey: writer.key });
      assert.equal(errorCode(byKey), 'FORBIDDEN');
      assert.equal(errorCode(await app.client.request(ReactivateApiKey, { id: adminKey.apiKey.id }, { token: member.token })), 'NOT_FOUND');
      const stranger = await signUpTenant(app.client, 'Other team');
      assert.equal(errorCode(await app.client.request(ReactivateApiKey, { id: adminKey.apiKey.id }, { token: stranger.token })), 'NOT_FOUND');
      assert.equal(await works(adminKey.key), false, 'no refused call may have reactivated it');

      const soon = new Date(Date.now() + 1_500).toISOString();
      const expiring = await app.client.data(UpdateApiKey, { id: writer.apiKey.id, input: { expiresAt: soon } }, { token: admin.token });
      assert.equal(expiring.updateApiKey.expiresAt, soon);
      await app.client.data(DeactivateApiKey, { id: writer.apiKey.id }, { token: admin.token });
      await new Promise((resolve) => setTimeout(resolve, 1_600));
      const expired = await app.client.request(ReactivateApiKey, { id: writer.apiKey.id }, { token: admin.token });
      assert.equal(errorCode(expired), 'BAD_USER_INPUT');
      assert.equal(expired.errors![0]!.extensions?.field, 'id');
      assert.equal((await app.client.data(ApiKeyById, { id: writer.apiKey.id }, { token: admin.token })).apiKey?.isActive, false);

      const later = new Date(Date.now() + 3_600_000).toISOString();
      await app.client.data(UpdateApiKey, { id: writer.apiKey.id, input: { expiresAt: later } }, { token: admin.token });
      assert.equal((await app.client.data(ReactivateApiKey, { id: writer.apiKey.id }, { token: admin.token })).reactivateApiKey.isActive, true);
      assert.equal(await works(writer.key), true);
    });
  });
}
