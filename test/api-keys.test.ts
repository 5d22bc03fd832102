import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { createKey, signUpTenant } from './support/fixtures.ts';
import { ApiKeys, AuditEvents, CreateApiKey, DeactivateApiKey, DeleteApiKey, Me, UpdateApiKey } from './support/operations.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`API keys: lifecycle (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    const listKeys = async (token: string) => (await app.client.data(ApiKeys, {}, { token })).apiKeys;

    it('shows an sk_ key once, and lists it by its last four characters without ever exposing it', async () => {
      const { token } = await signUpTenant(app.client);
      const created = await app.client.request(CreateApiKey, { input: { name: 'CI deploys' } }, { token });
      const { key, apiKey } = created.data!.createApiKey;
      assert.match(key, /^sk_[A-Za-z0-9_-]{43}$/);
      assert.equal(apiKey.lastFour, key.slice(-4));
      assert.equal(apiKey.isActive, true);
      assert.equal(apiKey.lastUsedAt, null);

      const listed = await app.client.request(ApiKeys, {}, { token });
      const [only] = listed.data!.apiKeys;
      assert.equal(listed.data!.apiKeys.length, 1);
      assert.equal(only?.id, apiKey.id);
      assert.equal(only?.name, 'CI deploys');
      assert.equal(only?.lastFour, key.slice(-4));
      assert.ok(!JSON.stringify(listed.data).includes(key.slice(3)), 'the listing never contains the key');

      const second = await createKey(app.client, token);
      assert.notEqual(second.key, key);
    });

    it('authenticates as X-API-Key and as Authorization: Bearer, acting for its creator', async () => {
      const { token, user } = await signUpTenant(app.client);
      const { key } = await createKey(app.client, token);
      const viaHeader = await app.client.data(Me, {}, { apiKey: key });
      const viaBearer = await app.client.data(Me, {}, { token: key });
      assert.equal(viaHeader.me.id, user.id);
      assert.equal(viaBearer.me.id, user.id);
    });

    it('sets lastUsedAt on first use and records API_KEY_FIRST_USED exactly once however often it is used', async () => {
      const { token } = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, token);
      const before = Date.now();
      await Promise.all(Array.from({ length: 5 }, () => app.client.data(Me, {}, { apiKey: key })));
      await app.client.data(Me, {}, { token: key });
      await app.client.data(ApiKeys, {}, { apiKey: key });

      const [listed] = await listKeys(token);
      assert.ok(listed?.lastUsedAt, 'lastUsedAt is set');
      assert.ok(Math.abs(Date.parse(listed.lastUsedAt) - before) < 60_000);

      const { auditEvents } = await app.client.data(AuditEvents, { first: 100 }, { token });
      const firstUses = auditEvents.edges.filter(({ node }) => node.type === 'API_KEY_FIRST_USED');
      assert.equal(firstUses.length, 1);
      assert.deepEqual(firstUses[0]!.node.actor, { type: 'API_KEY', id: apiKey.id });
      assert.equal((firstUses[0]!.node.data as { apiKeyId: string }).apiKeyId, apiKey.id);
    });

    it('refuses a deactivated key, saying it is deactivated', async () => {
      const { token } = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, token);
      await app.client.data(Me, {}, { apiKey: key });
      const { deactivateApiKey } = await app.client.data(DeactivateApiKey, { id: apiKey.id }, { token });
      assert.deepEqual(deactivateApiKey, { id: apiKey.id, isActive: false });
      for (const options of [{ apiKey: key }, { token: key }]) {
        const refused = await app.client.request(Me, {}, options);
        assert.equal(errorCode(refused), 'UNAUTHENTICATED');
        assert.match(refused.errors![0]!.message, /deactivated/i);
      }
      assert.equal((await listKeys(token))[0]?.isActive, false);
    });

    it('deleteApiKey answers the id; the deleted key stops working and is no longer listed', async () => {
      const { token } = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, token);
      const kept = await createKey(app.client, token);
      await app.client.data(Me, {}, { apiKey: key });
      const { deleteApiKey } = await app.client.data(DeleteApiKey, { id: apiKey.id }, { token });
      assert.equal(deleteApiKey, apiKey.id);
      assert.equal(errorCode(await app.client.request(Me, {}, { apiKey: key })), 'UNAUTHENTICATED');
      assert.deepEqual((await listKeys(token)).map((listed) => listed.id), [kept.apiKey.id]);
      assert.equal(errorCode(await app.client.request(DeleteApiKey, { id: apiKey.id }, { token })), 'NOT_FOUND');
    });

    it('refuses an expiry in the past, and refuses a key once it has expired', async () => {
      const { token } = await signUpTenant(app.client);
      const past = new Date(Date.now() - 60_000).toISOString();
      const refused = await app.client.request(CreateApiKey, { input: { name: 'old', expiresAt: past } }, { token });
      assert.equal(errorCode(refused), 'BAD_USER_INPUT');
      assert.equal(refused.errors?.[0]?.extensions?.field, 'expiresAt');
      assert.equal((await listKeys(token)).length, 0);

      const expiresAt = new Date(Date.now() + 2000);
      const { createApiKey } = await app.client.data(
        CreateApiKey,
        { input: { name: 'short-lived', expiresAt: expiresAt.toISOString() } },
        { token },
      );
      assert.equal(Date.parse(createApiKey.apiKey.expiresAt!), expiresAt.getTime());
      assert.equal((await app.client.request(Me, {}, { apiKey: createApiKey.key })).errors, undefined);
      await delay(expiresAt.getTime() - Date.now() + 100);
      const expired = await app.client.request(Me, {}, { apiKey: createApiKey.key });
      assert.equal(errorCode(expired), 'UNAUTHENTICATED');
      assert.match(expired.errors![0]!.message, /expired/i);
    });

    it('refuses forged keys', async () => {
      const forged = `sk_${randomBytes(32).toString('base64url')}`;
      for (const options of [{ apiKey: forged }, { token: forged }, { apiKey: 'not-a-key' }]) {
        assert.equal(errorCode(await app.client.request(Me, {}, options)), 'UNAUTHENTICATED', JSON.stringify(options));
      }
    });

    it('updateApiKey renames a key and changes its scopes, which take effect at once', async () => {
      const { token } = await signUpTenant(app.client);
      const { key, apiKey } = await createKey(app.client, token, ['api_keys:read']);
      assert.equal(errorCode(await app.client.request(AuditEvents, {}, { apiKey: key })), 'FORBIDDEN');

      const renamed = await app.client.data(UpdateApiKey, { id: apiKey.id, input: { name: 'Renamed' } }, { token });
      assert.equal(renamed.updateApiKey.name, 'Renamed');
      assert.deepEqual(renamed.updateApiKey.scopes, ['api_keys:read']);

      const widened = await app.client.data(
        UpdateApiKey,
        { id: apiKey.id, input: { scopes: ['api_keys:read', 'audit:read'] } },
        { token },
      );
      assert.equal(widened.updateApiKey.name, 'Renamed');
      assert.deepEqual([...widened.updateApiKey.scopes].sort(), ['api_keys:read', 'audit:read']);
      assert.equal((await app.client.request(AuditEvents, {}, { apiKey: key })).errors, undefined);

      await app.client.data(UpdateApiKey, { id: apiKey.id, input: { scopes: ['audit:read'] } }, { token });
      assert.equal(errorCode(await app.client.request(ApiKeys, {}, { apiKey: key })), 'FORBIDDEN');
      const [listed] = await listKeys(token);
      assert.equal(listed?.name, 'Renamed');
      assert.deepEqual(listed?.scopes, ['audit:read']);
    });
  });
}
