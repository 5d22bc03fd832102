import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { Webhook } from 'standardwebhooks';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, collect, wsClient } from './support/client.ts';
import { bodyOf } from './support/deliveries.ts';
import { addMember, createKey, eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import {
  AuditEvents,
  DeregisterServiceClient,
  DeleteWebhookEndpoint,
  UpdateWebhookEndpoint,
  DisableService,
  EnableService,
  Interactions,
  Login,
  OnInteractionCreated,
  RegisterInteraction,
  RegisterServiceClient,
  ServiceClients,
  ServiceStatusQuery,
  WebhookEndpoints,
} from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

/** Deliveries go through the outbox, the dispatcher and the delivery worker. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** How long to wait for something that must not arrive, after something sent later already has. */
const QUIET_MS = 300;

type Input = { text: string; speakerId?: string; conversationId?: string; occurredAt?: string };

for (const backend of backends()) {
  describe(`interactions and service clients (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    const sockets: Client[] = [];
    const receivers: Receiver[] = [];
    before(async () => {
      app = await startApp(await backend.env());
    });
    afterEach(async () => {
      await Promise.all([...sockets.splice(0).map((socket) => socket.dispose()), ...receivers.splice(0).map((open) => open.close())]);
    });
    after(() => app?.stop());

    const register = (token: string, input: Input) => app.client.request(RegisterInteraction, { input }, { token });
    const registered = async (token: string, text: string) => (await app.client.data(RegisterInteraction, { input: { text } }, { token })).registerInteraction;
    const texts = async (token: string) => (await app.client.data(Interactions, {}, { token })).interactions.edges.map((edge) => edge.node.text);
    const clients = async (token: string) => (await app.client.data(ServiceClients, {}, { token })).serviceClients;
    const receiver = async () => {
      const started = await startReceiver();
      receivers.push(started);
      return started;
    };
    const registerClient = async (token: string, clientId: string, webhookUrl?: string) =>
      (await app.client.data(RegisterServiceClient, { input: { clientId, webhookUrl } }, { token })).registerServiceClient;
    const subscribe = (token: string) => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      sockets.push(client);
      return collect(client, OnInteractionCreated);
    };
    const deliveredTexts = (target: Receiver) => target.requests.map((webhook) => bodyOf(webhook).data.text);
    const delivered = (target: Receiver, text: string) =>
      eventually(() => target.requests.find((webhook) => bodyOf(webhook).data.text === text), DELIVERY_TIMEOUT_MS, `delivery of "${text}"`);

    it('stores an interaction and lists the newest first, occurredAt defaulting to now', async () => {
      const { token } = await signUpTenant(app.client);
      const before = Date.now();
      const first = await registered(token, 'Hello there');
      const input = { text: 'I would like a quote', speakerId: 'customer-7', conversationId: 'conv-1', occurredAt: '2026-01-02T03:04:05.000Z' };
      const { registerInteraction: second } = (await register(token, input)).data!;
      const { id: _id, createdAt: _createdAt, ...fields } = second;
      assert.deepEqual(fields, input);
      assert.ok(Date.parse(first.occurredAt) >= before - 1000 && Date.parse(first.occurredAt) <= Date.now() + 1000);
      assert.deepEqual([first.speakerId, first.conversationId], [null, null]);

      const { interactions } = await app.client.data(Interactions, { first: 1 }, { token });
      assert.deepEqual(interactions.edges.map((edge) => edge.node), [second]);
      const next = await app.client.data(Interactions, { first: 1, after: interactions.pageInfo.endCursor }, { token });
      assert.deepEqual(next.interactions.edges.map((edge) => edge.node.id), [first.id]);
    });

    it('rejects bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
      const { token } = await signUpTenant(app.client);
      const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
      const cases: [Input, string][] = [
        [{ text: '' }, 'text'],
        [{ text: ' \n ' }, 'text'],
        [{ text: 'x'.repeat(10_001) }, 'text'],
        [{ text: 'hi', speakerId: 's'.repeat(201) }, 'speakerId'],
        [{ text: 'hi', conversationId: 'c'.repeat(201) }, 'conversationId'],
        [{ text: 'hi', occurredAt: inAnHour }, 'occurredAt'],
      ];
      for (const [input, field] of cases) assertCode(await register(token, input), 'BAD_USER_INPUT', field);
      assertCode(await register(token, { text: 'hi', occurredAt: 'yesterday' }), 'BAD_USER_INPUT');
      assert.deepEqual(await texts(token), []);

      const inAMinute = new Date(Date.now() + 60_000).toISOString();
      assert.equal((await register(token, { text: 'x'.repeat(10_000), occurredAt: inAMinute })).errors, undefined);
    });

    it('sends each new interaction to interactionCreated subscribers over graphql-ws', async () => {
      const { token } = await signUpTenant(app.client);
      const subscription = subscribe(token);
      const event = await triggerUntilReceived(
        () => registered(token, 'live'),
        () => subscription.events.find((received) => received.interactionCreated.text === 'live'),
      );
      const [stored] = (await app.client.data(Interactions, { first: 1 }, { token })).interactions.edges;
      assert.deepEqual(event.interactionCreated, stored!.node);
      assert.deepEqual(subscription.errors, []);
    });

    it('POSTs a signed interaction.created to a client with a webhookUrl, and nothing for one without', async () => {
      const { token, tenant } = await signUpTenant(app.client);
      const target = await receiver();
      const withUrl = await registerClient(token, 'crm', target.url());
      const withoutUrl = await registerClient(token, 'archive');
      assert.match(withUrl.signingSecret!, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
      assert.equal(withUrl.serviceClient.webhookUrl, target.url());
      assert.equal(withoutUrl.signingSecret, null);
      assert.deepEqual(
        (await clients(token)).map((client) => [client.clientId, client.webhookUrl]),
        [['archive', null], ['crm', target.url()]],
      );
      assert.equal((await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints.length, 1);

      const interaction = (await register(token, { text: 'Deliver me', speakerId: 'agent-1' })).data!.registerInteraction;
      const webhook = await delivered(target, 'Deliver me');
      new Webhook(withUrl.signingSecret!).verify(webhook.body, webhook.headers as Record<string, string>);
      assert.equal(webhook.headers['x-webhook-event'], 'interaction.created');
      const body = bodyOf(webhook);
      assert.deepEqual(Object.keys(body).sort(), ['data', 'tenantId', 'timestamp', 'type']);
      assert.deepEqual([body.type, body.tenantId], ['interaction.created', tenant.id]);
      assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
      assert.deepEqual(body.data, interaction);
      await delay(QUIET_MS);
      assert.equal(target.requests.length, 1);
    });

    it('stops delivering to a deregistered client, keeps delivering to the others', async () => {
      const { token } = await signUpTenant(app.client);
      const [leaving, staying] = [await receiver(), await receiver()];
      const { serviceClient } = await registerClient(token, 'leaving', leaving.url());
      await registerClient(token, 'staying', staying.url());
      await registered(token, 'first');
      await Promise.all([delivered(leaving, 'first'), delivered(staying, 'first')]);

      const { deregisterServiceClient } = await app.client.data(DeregisterServiceClient, { clientId: 'leaving' }, { token });
      assert.equal(deregisterServiceClient, serviceClient.id);
      assert.deepEqual((await clients(token)).map((client) => client.clientId), ['staying']);
      assert.equal((await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints.length, 1);
      assertCode(await app.client.request(DeregisterServiceClient, { clientId: 'leaving' }, { token }), 'NOT_FOUND');

      await registered(token, 'second');
      await delivered(staying, 'second');
      await delay(QUIET_MS);
      assert.deepEqual(deliveredTexts(leaving), ['first']);
    });

    it("refuses to retarget or delete a client's endpoint through the generic endpoint mutations", async () => {
      const { token } = await signUpTenant(app.client);
      const target = await receiver();
      await registerClient(token, 'locked', target.url());
      const [endpoint] = (await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints;
      const retarget = await app.client.request(UpdateWebhookEndpoint, { id: endpoint!.id, input: { events: [] } }, { token });
      assertCode(retarget, 'CONFLICT');
      assertCode(await app.client.request(DeleteWebhookEndpoint, { id: endpoint!.id }, { token }), 'CONFLICT');
      const [unchanged] = (await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints;
      assert.deepEqual(unchanged!.events, ['interaction.created']);
      await registered(token, 'still delivered');
      await delivered(target, 'still delivered');
    });

    it('keeps clientId unique per tenant and refuses bad clients with the field, storing nothing', async () => {
      const { token } = await signUpTenant(app.client);
      const other = await signUpTenant(app.client, 'Other');
      await registerClient(token, 'crm');
      const request = (input: { clientId: string; webhookUrl?: string }) => app.client.request(RegisterServiceClient, { input }, { token });
      assertCode(await request({ clientId: 'crm' }), 'CONFLICT', 'clientId');
      assertCode(await request({ clientId: '' }), 'BAD_USER_INPUT', 'clientId');
      assertCode(await request({ clientId: 'c'.repeat(101) }), 'BAD_USER_INPUT', 'clientId');
      assertCode(await request({ clientId: 'ftp', webhookUrl: 'ftp://127.0.0.1/hook' }), 'BAD_USER_INPUT', 'webhookUrl');
      assertCode(await request({ clientId: 'private', webhookUrl: 'http://10.0.0.1/hook' }), 'BAD_USER_INPUT', 'webhookUrl');
      assertCode(await request({ clientId: 'empty', webhookUrl: '' }), 'BAD_USER_INPUT', 'webhookUrl');
      assert.deepEqual((await clients(token)).map((client) => client.clientId), ['crm']);
      assert.equal((await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints.length, 0);
      assert.equal((await registerClient(other.token, 'crm')).serviceClient.clientId, 'crm');
    });

    it('while disabled refuses interactions with CONFLICT and stores or sends nothing; enabled again, accepts them', async () => {
      const { token } = await signUpTenant(app.client);
      const target = await receiver();
      await registerClient(token, 'crm', target.url());
      assert.deepEqual((await app.client.data(ServiceStatusQuery, {}, { token })).serviceStatus, { enabled: true, updatedAt: null });

      const { disableService } = await app.client.data(DisableService, {}, { token });
      assert.equal(disableService.enabled, false);
      assert.ok(disableService.updatedAt);
      const refused = await register(token, { text: 'while disabled' });
      assertCode(refused, 'CONFLICT');
      assert.equal(refused.errors?.[0]?.message, 'The interaction service is disabled');
      assert.equal((await app.client.data(ServiceStatusQuery, {}, { token })).serviceStatus.enabled, false);

      assert.equal((await app.client.data(EnableService, {}, { token })).enableService.enabled, true);
      await registered(token, 'enabled again');
      await delivered(target, 'enabled again');
      assert.deepEqual(await texts(token), ['enabled again']);
      assert.deepEqual(deliveredTexts(target), ['enabled again']);
      const { auditEvents } = await app.client.data(AuditEvents, { first: 20 }, { token });
      const audited = auditEvents.edges.map((edge) => edge.node.type).filter((type) => type.startsWith('SERVICE_'));
      assert.deepEqual(audited, ['SERVICE_ENABLED', 'SERVICE_DISABLED', 'SERVICE_CLIENT_REGISTERED']);
    });

    it('lets members register and read interactions, and only admins manage clients and the service', async () => {
      const { token } = await signUpTenant(app.client);
      const { email } = await addMember(app.client, token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      await registered(member, 'from a member');
      assert.deepEqual(await texts(member), ['from a member']);
      assert.equal((await app.client.data(ServiceStatusQuery, {}, { token: member })).serviceStatus.enabled, true);

      const asMember = { token: member };
      assertCode(await app.client.request(ServiceClients, {}, asMember), 'FORBIDDEN');
      assertCode(await app.client.request(RegisterServiceClient, { input: { clientId: 'mine' } }, asMember), 'FORBIDDEN');
      assertCode(await app.client.request(DeregisterServiceClient, { clientId: 'mine' }, asMember), 'FORBIDDEN');
      assertCode(await app.client.request(DisableService, {}, asMember), 'FORBIDDEN');
      assertCode(await app.client.request(EnableService, {}, asMember), 'FORBIDDEN');

      const reader = await createKey(app.client, token, ['interactions:read']);
      assertCode(await app.client.request(RegisterInteraction, { input: { text: 'no' } }, { apiKey: reader.key }), 'FORBIDDEN');
      assertCode(await app.client.request(RegisterServiceClient, { input: { clientId: 'no' } }, { apiKey: reader.key }), 'FORBIDDEN');
      const writer = await createKey(app.client, token, ['interactions:write']);
      const viaKey = await app.client.data(RegisterServiceClient, { input: { clientId: 'via-key' } }, { apiKey: writer.key });
      assert.equal(viaKey.registerServiceClient.serviceClient.clientId, 'via-key');
      assert.deepEqual(await texts(token), ['from a member']);
    });

    it("never shows or sends one tenant's interactions, clients or status to another", async () => {
      const a = await signUpTenant(app.client, 'Alpha');
      const b = await signUpTenant(app.client, 'Beta');
      const [targetA, targetB] = [await receiver(), await receiver()];
      await registerClient(a.token, 'crm-a', targetA.url());
      await registerClient(b.token, 'crm-b', targetB.url());
      const subscriberB = subscribe(b.token);
      await triggerUntilReceived(
        () => registered(b.token, 'b-ready'),
        () => subscriberB.events.find((event) => event.interactionCreated.text === 'b-ready'),
      );

      await registered(a.token, 'a-secret');
      await app.client.data(DisableService, {}, { token: a.token });
      await delivered(targetA, 'a-secret');
      await registered(b.token, 'b-last');
      await Promise.all([delivered(targetB, 'b-last'), eventually(() => subscriberB.events.find((event) => event.interactionCreated.text === 'b-last'))]);
      await delay(QUIET_MS);

      assert.ok(!deliveredTexts(targetB).includes('a-secret'));
      assert.ok(!subscriberB.events.some((event) => event.interactionCreated.text === 'a-secret'));
      assert.ok(!(await texts(b.token)).includes('a-secret'));
      assert.deepEqual((await clients(b.token)).map((client) => client.clientId), ['crm-b']);
      assert.equal((await app.client.data(ServiceStatusQuery, {}, { token: b.token })).serviceStatus.enabled, true);
      assertCode(await app.client.request(DeregisterServiceClient, { clientId: 'crm-a' }, { token: b.token }), 'NOT_FOUND');
      assert.deepEqual((await clients(a.token)).map((client) => client.clientId), ['crm-a']);
    });
  });
}
