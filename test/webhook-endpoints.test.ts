import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode, type GraphQLResult } from './support/client.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import {
  AuditEvents,
  CreateWebhookEndpoint,
  DeleteWebhookEndpoint,
  Login,
  RotateWebhookSecret,
  UpdateWebhookEndpoint,
  WebhookEndpointById,
  WebhookEndpoints,
  WebhookEventTypes,
} from './support/operations.ts';
import { backends } from './support/services.ts';
import { CreateAgent } from './support/agent-operations.ts';
import { fixedResolver } from './support/resolver.ts';
import { CreateSession } from './support/session-operations.ts';

const HOOK = 'http://127.0.0.1:9/hook';
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

for (const backend of backends()) {
  describe(`webhook endpoints (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    type Input = { url: string; events?: string[]; description?: string; sessionId?: string };
    const create = (token: string, input: Input) =>
      app.client.request(CreateWebhookEndpoint, { input }, { token });
    const created = async (token: string, url = HOOK) => (await app.client.data(CreateWebhookEndpoint, { input: { url } }, { token })).createWebhookEndpoint;
    const list = async (token: string) => (await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints;
    const assertBadInput = (result: GraphQLResult<unknown>, field: string, what: string) => {
      assert.equal(errorCode(result), 'BAD_USER_INPUT', `${what}: ${JSON.stringify(result.errors)}`);
      assert.equal(result.errors?.[0]?.extensions?.field, field, what);
    };

    it('records who created, changed, rotated and deleted an endpoint in the audit log, without its secret', async () => {
      const { token, user } = await signUpTenant(app.client);
      const { endpoint, secret } = await created(token);
      await app.client.data(UpdateWebhookEndpoint, { id: endpoint.id, input: { isActive: false } }, { token });
      const { rotateWebhookSecret } = await app.client.data(RotateWebhookSecret, { id: endpoint.id }, { token });
      await app.client.data(DeleteWebhookEndpoint, { id: endpoint.id }, { token });
      const { auditEvents } = await app.client.data(AuditEvents, { first: 4 }, { token });
      const events = auditEvents.edges.map((edge) => edge.node);
      assert.deepEqual(
        events.map((event) => event.type),
        ['WEBHOOK_ENDPOINT_DELETED', 'WEBHOOK_SECRET_ROTATED', 'WEBHOOK_ENDPOINT_UPDATED', 'WEBHOOK_ENDPOINT_CREATED'],
      );
      for (const event of events) {
        assert.deepEqual(event.actor, { type: 'USER', id: user.id });
        assert.equal((event.data as { endpointId: string }).endpointId, endpoint.id);
        assert.ok(!JSON.stringify(event.data).includes(secret) && !JSON.stringify(event.data).includes(rotateWebhookSecret.secret));
      }
    });

    it('creates, lists newest first, reads, updates and deletes an endpoint', async () => {
      const { token } = await signUpTenant(app.client);
      const line = await app.client.data(CreateSession, { input: { name: 'Line', channel: 'WEBSITE' } }, { token });
      const sessionId = line.createSession.session.id;
      const first = await create(token, { url: HOOK, events: ['lead.created', 'lead.created', 'agent.updated'], description: 'CRM', sessionId });
      const endpoint = first.data!.createWebhookEndpoint.endpoint;
      assert.deepEqual(
        { url: endpoint.url, events: endpoint.events, description: endpoint.description, sessionId: endpoint.sessionId, isActive: endpoint.isActive },
        { url: HOOK, events: ['lead.created', 'agent.updated'], description: 'CRM', sessionId, isActive: true },
      );
      const second = await created(token, 'http://localhost:9/other');
      assert.deepEqual((await list(token)).map((listed) => listed.id), [second.endpoint.id, endpoint.id]);
      assert.equal((await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token })).webhookEndpoint?.url, HOOK);

      const { updateWebhookEndpoint: updated } = await app.client.data(
        UpdateWebhookEndpoint,
        { id: endpoint.id, input: { url: 'http://127.0.0.1:10/new', events: [], description: null } },
        { token },
      );
      assert.deepEqual([updated.url, updated.events, updated.description], ['http://127.0.0.1:10/new', [], null]);

      const { deleteWebhookEndpoint } = await app.client.data(DeleteWebhookEndpoint, { id: endpoint.id }, { token });
      assert.equal(deleteWebhookEndpoint, endpoint.id);
      assert.equal(errorCode(await app.client.request(WebhookEndpointById, { id: endpoint.id }, { token })), 'NOT_FOUND');
      assert.deepEqual((await list(token)).map((listed) => listed.id), [second.endpoint.id]);
    });

    it('shows a whsec_ secret of 32 random bytes once, and never in queries', async () => {
      const { token } = await signUpTenant(app.client);
      const { secret, endpoint } = await created(token);
      assert.equal(Buffer.from(SECRET.exec(secret)![1]!, 'base64').length, 32);
      const read = await app.client.request(WebhookEndpointById, { id: endpoint.id }, { token });
      assert.ok(!JSON.stringify([read, await list(token)]).includes(secret.slice(6)));
    });

    it('rotates the secret and keeps the old one signing for 24 hours', async () => {
      const { token } = await signUpTenant(app.client);
      const { secret, endpoint } = await created(token);
      assert.equal(endpoint.previousSecretExpiresAt, null);
      const { rotateWebhookSecret: rotated } = await app.client.data(RotateWebhookSecret, { id: endpoint.id }, { token });
      assert.match(rotated.secret, SECRET);
      assert.notEqual(rotated.secret, secret);
      const { webhookEndpoint } = await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token });
      const until = Date.parse(webhookEndpoint!.previousSecretExpiresAt!);
      assert.ok(Math.abs(until - (Date.now() + 24 * 3_600_000)) < 60_000, webhookEndpoint!.previousSecretExpiresAt!);
    });

    it('disables an endpoint with a reason, and enabling it clears the reason', async () => {
      const { token } = await signUpTenant(app.client);
      const { endpoint } = await created(token);
      const update = async (isActive: boolean) =>
        (await app.client.data(UpdateWebhookEndpoint, { id: endpoint.id, input: { isActive } }, { token })).updateWebhookEndpoint;
      const disabled = await update(false);
      assert.equal(disabled.isActive, false);
      assert.match(disabled.disabledReason ?? '', /user/);
      const enabled = await update(true);
      assert.deepEqual([enabled.isActive, enabled.disabledReason, enabled.failingSince], [true, null, null]);
    });

    it('refuses malformed URLs, unknown event types and long descriptions, naming the field, and stores nothing', async () => {
      const { token } = await signUpTenant(app.client);
      const cases: [Input, string][] = [
        [{ url: 'not a url' }, 'url'],
        [{ url: 'ftp://127.0.0.1/hook' }, 'url'],
        [{ url: 'http://user:pass@127.0.0.1/hook' }, 'url'],
        [{ url: HOOK, events: ['lead.created', 'lead.exploded'] }, 'events'],
        [{ url: HOOK, description: 'x'.repeat(501) }, 'description'],
        [{ url: HOOK, sessionId: 'not-a-session' }, 'sessionId'],
        [{ url: HOOK, sessionId: randomUUID() }, 'sessionId'],
      ];
      for (const [input, field] of cases) assertBadInput(await create(token, input), field, JSON.stringify(input));
      const unknown = await create(token, { url: HOOK, events: ['lead.exploded'] });
      assert.match(unknown.errors![0]!.message, /lead\.exploded/);
      assert.deepEqual(await list(token), []);

      const { endpoint } = await created(token);
      const badUpdate = await app.client.request(UpdateWebhookEndpoint, { id: endpoint.id, input: { url: 'ftp://x', events: [] } }, { token });
      assertBadInput(badUpdate, 'url', 'update');
      assert.deepEqual((await list(token))[0], endpoint);
    });

    it('lets only admins and keys with webhooks:manage manage endpoints', async () => {
      const admin = await signUpTenant(app.client);
      const { email } = await addMember(app.client, admin.token);
      const { login } = await app.client.data(Login, { input: { email, password: PASSWORD } });
      const weakKey = await createKey(app.client, admin.token, ['api_keys:read']);
      const strongKey = await createKey(app.client, admin.token, ['webhooks:manage']);
      for (const token of [login.accessToken, weakKey.key]) {
        assert.equal(errorCode(await create(token, { url: HOOK })), 'FORBIDDEN');
        assert.equal(errorCode(await app.client.request(WebhookEndpoints, {}, { token })), 'FORBIDDEN');
      }
      const { endpoint } = await created(strongKey.key);
      assert.deepEqual((await list(admin.token)).map((listed) => listed.id), [endpoint.id]);
    });

    it("answers NOT_FOUND for another team's endpoint and leaves it unchanged", async () => {
      const a = await signUpTenant(app.client, 'A');
      const b = await signUpTenant(app.client, 'B');
      const { endpoint } = await created(a.token);
      const id = endpoint.id;
      const attempts = [
        app.client.request(WebhookEndpointById, { id }, { token: b.token }),
        app.client.request(UpdateWebhookEndpoint, { id, input: { isActive: false, url: 'http://127.0.0.1:11/b' } }, { token: b.token }),
        app.client.request(DeleteWebhookEndpoint, { id }, { token: b.token }),
        app.client.request(RotateWebhookSecret, { id }, { token: b.token }),
      ];
      for (const result of await Promise.all(attempts)) assert.equal(errorCode(result), 'NOT_FOUND');
      assert.deepEqual(await list(b.token), []);
      assert.deepEqual(await list(a.token), [endpoint]);
    });

    it('caps a team at 50 endpoints, even when they are created at once', async () => {
      const { token } = await signUpTenant(app.client);
      const results = await Promise.all(Array.from({ length: 53 }, () => create(token, { url: HOOK })));
      assert.equal(results.filter((result) => result.data?.createWebhookEndpoint).length, 50);
      const refusals = results.filter((result) => !result.data).map(errorCode);
      assert.ok(refusals.every((code) => code === 'CONFLICT'), `refused with ${refusals.join(', ')}`);
      assert.equal((await list(token)).length, 50);
    });

    it('lists at least the event types of the API contract, with descriptions and the JSON Schema of each body', async () => {
      const { webhookEventTypes, webhookEventCatalogue } = await app.client.data(WebhookEventTypes);
      const promised = ['message.received', 'message.sent', 'conversation.created', 'conversation.closed', 'agent.created',
        'agent.updated', 'agent.deleted', 'chat.message.completed', 'session.status_changed', 'lead.created',
        'lead.updated', 'interaction.created', 'webhook.test'];
      for (const type of promised) assert.ok(webhookEventTypes.includes(type), type);
      assert.deepEqual(webhookEventCatalogue.map((type) => type.name), webhookEventTypes);
      assert.ok(webhookEventCatalogue.every((type) => type.description.length > 0));
      for (const { name, schema } of webhookEventCatalogue) {
        const body = schema as { title: string; required: string[]; properties: { type: { const: string }; data: { type: string } } };
        assert.equal(body.title, name);
        assert.equal(body.properties.type.const, name);
        assert.deepEqual(body.required, ['type', 'timestamp', 'tenantId', 'data']);
        assert.equal(body.properties.data.type, 'object', `${name} describes its data`);
      }
    });

    describe('with ALLOW_PRIVATE_URLS empty', () => {
      let strict: RunningApp;
      before(async () => {
        const resolveHost = fixedResolver({ 'hooks.example.test': ['93.184.216.34'], 'intranet.example.test': ['10.0.0.5'], localhost: ['127.0.0.1', '::1'] });
        strict = await startApp({ ...(await backend.env()), ALLOW_PRIVATE_URLS: '' }, { resolveHost });
      });
      after(() => strict?.stop());

      it('accepts public IPv4 and IPv6 targets, by literal and by a name resolving to one', async () => {
        const { token } = await signUpTenant(strict.client);
        for (const url of ['http://8.8.8.8/hook', 'https://1.1.1.1/', 'http://93.184.216.34/', 'http://[2606:4700:4700::1111]/in', 'https://hooks.example.test/in']) {
          const result = await strict.client.request(CreateWebhookEndpoint, { input: { url } }, { token });
          assert.equal(result.errors, undefined, url);
          assert.equal(result.data!.createWebhookEndpoint.endpoint.url, new URL(url).href);
        }
        const agent = await strict.client.request(
          CreateAgent,
          { input: { name: 'Public brain', webhookUrl: 'https://1.1.1.1/webhook/bot' } },
          { token },
        );
        assert.equal(agent.data?.createAgent.webhookUrl, 'https://1.1.1.1/webhook/bot', JSON.stringify(agent.errors));
      });

      it('refuses loopback, private, link-local, mapped and IPv4-compatible targets', async () => {
        const { token } = await signUpTenant(strict.client);
        const urls = ['http://127.0.0.1:1/', 'http://localhost/', 'http://[::1]/', 'http://10.0.0.1/', 'http://169.254.169.254/',
          'http://100.64.0.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::127.0.0.1]/', 'http://[::7f00:1]/', 'http://intranet.example.test/'];
        for (const url of urls) {
          const result = await strict.client.request(CreateWebhookEndpoint, { input: { url } }, { token });
          assertBadInput(result, 'url', url);
          assert.match(result.errors![0]!.message, /private or reserved/, url);
        }
        const agent = await strict.client.request(CreateAgent, { input: { name: 'Private brain', webhookUrl: 'http://[::7f00:1]/' } }, { token });
        assertBadInput(agent, 'webhookUrl', 'agent webhookUrl');
      });
    });
  });
}
