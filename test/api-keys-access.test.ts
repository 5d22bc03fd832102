import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import {
  ApiKeys,
  ApiKeyScopes,
  AuditEvents,
  CreateApiKey,
  DeactivateApiKey,
  DeleteApiKey,
  Login,
  Me,
  UpdateApiKey,
} from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`API keys: scopes, ownership and tenants (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    const listKeys = async (token: string) => (await app.client.data(ApiKeys, {}, { token })).apiKeys;
    /** An admin, and a USER-role member of the same tenant, both signed in. */
    const team = async () => {
      const admin = await signUpTenant(app.client);
      const { email, user } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      return { admin, member: { user, token: login.accessToken } };
    };

    it('a key with only api_keys:read lists keys, but createApiKey and auditEvents answer FORBIDDEN', async () => {
      const { token } = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, token, ['api_keys:read']);
      const { apiKeys } = await app.client.data(ApiKeys, {}, { apiKey: key });
      assert.deepEqual(apiKeys.map((listed) => listed.id), [apiKey.id]);
      assert.equal(errorCode(await app.client.request(CreateApiKey, { input: { name: 'more' } }, { apiKey: key })), 'FORBIDDEN');
      assert.equal(errorCode(await app.client.request(AuditEvents, {}, { apiKey: key })), 'FORBIDDEN');
      assert.equal((await listKeys(token)).length, 1);
    });

    it('refuses unknown scopes and scopes the creator does not hold, naming the scopes field, and creates nothing', async () => {
      const { admin, member } = await team();
      const cases = [
        [admin.token, ['api_keys:read', 'nope:write']],
        [member.token, ['users:read']],
      ] as const;
      for (const [token, scopes] of cases) {
        const refused = await app.client.request(CreateApiKey, { input: { name: 'k', scopes: [...scopes] } }, { token });
        assert.equal(errorCode(refused), 'BAD_USER_INPUT', scopes.join());
        assert.equal(refused.errors?.[0]?.extensions?.field, 'scopes');
      }
      assert.deepEqual(await listKeys(admin.token), []);
    });

    it('omitted scopes give a key every scope its creator holds', async () => {
      const { admin, member } = await team();
      const { apiKeyScopes } = await app.client.data(ApiKeyScopes, {}, { token: admin.token });
      const all = apiKeyScopes.map((scope) => scope.name).sort();
      const forUsers = apiKeyScopes.filter((scope) => !scope.adminOnly).map((scope) => scope.name).sort();
      assert.ok(forUsers.length > 0 && forUsers.length < all.length);

      const adminKey = await createKey(app.client, admin.token);
      const memberKey = await createKey(app.client, member.token);
      assert.deepEqual([...adminKey.apiKey.scopes].sort(), all);
      assert.deepEqual([...memberKey.apiKey.scopes].sort(), forUsers);

    });

    it('only a signed-in user mints keys: a key holding api_keys:write gets FORBIDDEN, and nothing is created', async () => {
      const { admin } = await team();
      const writer = await createKey(app.client, admin.token, ['api_keys:read', 'api_keys:write']);
      const idsOf = async () => (await listKeys(admin.token)).map((listed) => listed.id);
      const before = await idsOf();
      for (const credential of [{ token: writer.key }, { apiKey: writer.key }]) {
        const refused = await app.client.request(CreateApiKey, { input: { name: 'from a key' } }, credential);
        assert.equal(errorCode(refused), 'FORBIDDEN');
        assert.match(refused.errors![0]!.message, /Only a signed-in user can create API keys/);
      }
      assert.deepEqual(await idsOf(), before);
      // What a key with api_keys:write still may do: manage keys that exist.
      const other = await createKey(app.client, admin.token);
      const renamed = await app.client.data(UpdateApiKey, { id: other.apiKey.id, input: { name: 'renamed by a key' } }, { apiKey: writer.key });
      assert.equal(renamed.updateApiKey.name, 'renamed by a key');
      assert.equal((await app.client.data(DeactivateApiKey, { id: other.apiKey.id }, { apiKey: writer.key })).deactivateApiKey.isActive, false);
    });

    it('members see only their own keys; admins see every key of the tenant', async () => {
      const { admin, member } = await team();
      const adminKey = await createKey(app.client, admin.token);
      const memberKey = await createKey(app.client, member.token);
      assert.deepEqual((await listKeys(member.token)).map((listed) => listed.id), [memberKey.apiKey.id]);
      const viaMemberKey = await app.client.data(ApiKeys, {}, { apiKey: memberKey.key });
      assert.deepEqual(viaMemberKey.apiKeys.map((listed) => listed.id), [memberKey.apiKey.id]);
      const all = await listKeys(admin.token);
      assert.deepEqual(all.map((listed) => listed.id).sort(), [adminKey.apiKey.id, memberKey.apiKey.id].sort());
      assert.equal(all.find((listed) => listed.id === memberKey.apiKey.id)?.createdBy.id, member.user.id);
    });

    it("a member cannot update, deactivate or delete the admin's key (NOT_FOUND), which keeps working", async () => {
      const { admin, member } = await team();
      const { key, apiKey } = await createKey(app.client, admin.token);
      const attempts = [
        await app.client.request(UpdateApiKey, { id: apiKey.id, input: { name: 'taken over' } }, { token: member.token }),
        await app.client.request(DeactivateApiKey, { id: apiKey.id }, { token: member.token }),
        await app.client.request(DeleteApiKey, { id: apiKey.id }, { token: member.token }),
      ];
      for (const attempt of attempts) assert.equal(errorCode(attempt), 'NOT_FOUND');
      const [listed] = await listKeys(admin.token);
      assert.deepEqual([listed?.name, listed?.isActive], ['test key', true]);
      assert.equal((await app.client.data(Me, {}, { apiKey: key })).me.id, admin.user.id);
    });

    it("an admin cannot give a member's key a scope the member's role does not allow", async () => {
      const { admin, member } = await team();
      const { apiKey } = await createKey(app.client, member.token, ['api_keys:read']);
      const refused = await app.client.request(
        UpdateApiKey,
        { id: apiKey.id, input: { scopes: ['api_keys:read', 'users:read'] } },
        { token: admin.token },
      );
      assert.equal(errorCode(refused), 'BAD_USER_INPUT');
      assert.equal(refused.errors?.[0]?.extensions?.field, 'scopes');
      assert.deepEqual((await listKeys(member.token))[0]?.scopes, ['api_keys:read']);
    });

    it("an admin of another tenant cannot see, update, deactivate or delete a tenant's keys", async () => {
      const tenantA = await signUpTenant(app.client, 'Tenant A');
      const tenantB = await signUpTenant(app.client, 'Tenant B');
      const { key, apiKey } = await createKey(app.client, tenantA.token);
      const ownKey = await createKey(app.client, tenantB.token);
      const attempts = [
        await app.client.request(UpdateApiKey, { id: apiKey.id, input: { name: 'mine now' } }, { token: tenantB.token }),
        await app.client.request(DeactivateApiKey, { id: apiKey.id }, { token: tenantB.token }),
        await app.client.request(DeleteApiKey, { id: apiKey.id }, { token: tenantB.token }),
        await app.client.request(DeleteApiKey, { id: apiKey.id }, { apiKey: ownKey.key }),
      ];
      for (const attempt of attempts) assert.equal(errorCode(attempt), 'NOT_FOUND');

      assert.deepEqual((await listKeys(tenantB.token)).map((listed) => listed.id), [ownKey.apiKey.id]);
      const [listed] = await listKeys(tenantA.token);
      assert.deepEqual([listed?.id, listed?.name, listed?.isActive], [apiKey.id, 'test key', true]);
      assert.equal((await app.client.data(Me, {}, { apiKey: key })).me.id, tenantA.user.id);
    });
  });
}
