import assert from 'node:assert/strict';
import { uuid7 } from '../src/db/uuid7.ts';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import {
  attemptOf,
  bodyOf,
  createEndpoint,
  deliveriesOf,
  deliveryWhen,
  emitInteraction,
  FAST_RETRIES,
  onlyDeliveryOf,
  webhookIdOf,
} from './support/deliveries.ts';
import { OnWebhookDeliveryUpdated, ReplayWebhookDeliveries, RetryWebhookDelivery, SendTestWebhook, WebhookDeliveries } from './support/delivery-operations.ts';
import { eventually, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { RotateWebhookSecret, WebhookEndpointById } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

for (const backend of backends()) {
  describe(`webhook deliveries (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let receiver: Receiver;
    before(async () => {
      [app, receiver] = await Promise.all([backend.env().then((env) => startApp({ ...env, ...FAST_RETRIES })), startReceiver()]);
    });
    after(() => Promise.all([app?.stop(), receiver?.close()]));
    beforeEach(() => receiver.answer(() => ({ status: 200 })));

    /** A tenant with an endpoint on its own receiver path, answering as `receiver.answer` says. */
    const tenantWithEndpoint = async (path: string) => {
      const admin = await signUpTenant(app.client);
      const endpoint = await createEndpoint(app.client, admin.token, receiver.url(path));
      return { ...admin, endpoint };
    };

    it('signs a delivery so that the standardwebhooks library verifies it, with both secrets after a rotation', async () => {
      const { token, endpoint } = await tenantWithEndpoint('/signed');
      await emitInteraction(app.client, token, 'signed');
      const [request] = await receiver.waitFor('/signed', 1);
      const headers = request!.headers as Record<string, string>;
      const body = new Webhook(endpoint.secret).verify(request!.body, headers) as { type: string; data: { text: string } };
      assert.equal(body.type, 'interaction.created');
      assert.equal(body.data.text, 'signed');
      assert.match(bodyOf(request!).timestamp, /^\d{4}-\d\d-\d\dT/);
      assert.equal(headers['x-webhook-event'], 'interaction.created');
      assert.equal(headers['x-webhook-id'], headers['webhook-id']);
      assert.equal(headers['x-webhook-attempt'], '1');
      assert.match(headers['user-agent']!, /convo-graph/);
      assert.equal(headers['content-type'], 'application/json');
      assert.ok(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000) < 10);

      const { rotateWebhookSecret } = await app.client.data(RotateWebhookSecret, { id: endpoint.id }, { token });
      await emitInteraction(app.client, token, 'rotated');
      const rotated = (await receiver.waitFor('/signed', 2))[1]!;
      assert.equal(String(rotated.headers['webhook-signature']).split(' ').length, 2);
      for (const secret of [endpoint.secret, rotateWebhookSecret.secret]) {
        new Webhook(secret).verify(rotated.body, rotated.headers as Record<string, string>);
      }

      // The delivery console shows what was sent, each signature cut to a prefix of the real one.
      const { webhookDeliveries } = await app.client.data(WebhookDeliveries, { endpointId: endpoint.id }, { token });
      const shown = webhookDeliveries.edges.map(({ node }) => Object.fromEntries(node.attempts[0]!.requestHeaders.map(({ name, value }) => [name, value])));
      for (const [received, console] of [[rotated, shown[0]!], [request!, shown[1]!]] as const) {
        const sent = received.headers as Record<string, string>;
        for (const name of ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'x-webhook-event', 'x-webhook-id', 'x-webhook-attempt']) {
          assert.equal(console[name], sent[name], name);
        }
        const signatures = sent['webhook-signature']!.split(' ');
        const redacted = console['webhook-signature']!.split(' ');
        assert.equal(redacted.length, signatures.length);
        redacted.forEach((entry, index) => {
          assert.match(entry, /^v1,[A-Za-z0-9+/]{8}…$/);
          assert.ok(signatures[index]!.startsWith(entry.slice(0, -1)), `${entry} is a prefix of the signature sent`);
        });
      }
    });

    it('retries a failing receiver on schedule with the same webhook-id until it answers 2xx, and logs every attempt', async () => {
      const { token, endpoint } = await tenantWithEndpoint('/flaky');
      receiver.answer((request, count) =>
        request.path === '/flaky' && count < 2 ? { status: 500, body: `down ${count + 1}` } : { status: 200, body: 'thanks' },
      );
      await emitInteraction(app.client, token);
      const requests = await receiver.waitFor('/flaky', 3);
      assert.equal(new Set(requests.map(webhookIdOf)).size, 1);
      assert.deepEqual(requests.map(attemptOf), [1, 2, 3]);
      assert.ok(requests[1]!.at - requests[0]!.at >= 850, 'the first retry came before its scheduled second');

      const delivery = await onlyDeliveryOf(app.client, token, endpoint.id);
      const sent = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'SENT');
      assert.equal(sent.eventId, webhookIdOf(requests[0]!));
      assert.equal(sent.attemptCount, 3);
      assert.equal(sent.nextAttemptAt, null);
      assert.deepEqual(
        sent.attempts.map((attempt) => [attempt.attemptNumber, attempt.statusCode, attempt.responseBody, attempt.error]),
        [[1, 500, 'down 1', null], [2, 500, 'down 2', null], [3, 200, 'thanks', null]],
      );
      assert.deepEqual(
        sent.attempts.map((attempt) => attempt.requestHeaders.find(({ name }) => name === 'x-webhook-attempt')?.value),
        ['1', '2', '3'],
        'each attempt keeps the headers it was sent with',
      );
      const { webhookEndpoint } = await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token });
      assert.equal(webhookEndpoint?.failingSince, null);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(receiver.to('/flaky').length, 3, 'a delivered event was sent again');
    });

    it('waits as long as Retry-After asks, in seconds or as an HTTP date, when that is longer than the schedule', async () => {
      const { token } = await tenantWithEndpoint('/busy');
      receiver.answer((request, count) => {
        if (request.path !== '/busy' || count > 1) return { status: 200 };
        // An HTTP date has whole seconds: three seconds ahead is at least two from now.
        const retryAfter = count === 0 ? '2' : new Date(Date.now() + 3000).toUTCString();
        return { status: 503, headers: { 'retry-after': retryAfter } };
      });
      await emitInteraction(app.client, token);
      const [first, second, third] = await receiver.waitFor('/busy', 3);
      assert.ok(second!.at - first!.at >= 1900, `retried after ${second!.at - first!.at} ms`);
      assert.ok(third!.at - second!.at >= 1900, `retried after ${third!.at - second!.at} ms`);
    });

    it('disables an endpoint that answers 410 Gone and fails its delivery', async () => {
      const { token, endpoint } = await tenantWithEndpoint('/gone');
      receiver.answer((request) => (request.path === '/gone' ? { status: 410 } : { status: 200 }));
      await emitInteraction(app.client, token);
      await receiver.waitFor('/gone', 1);
      const delivery = await onlyDeliveryOf(app.client, token, endpoint.id);
      const failed = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'FAILED');
      assert.deepEqual(failed.attempts.map((attempt) => attempt.statusCode), [410]);
      const { webhookEndpoint } = await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token });
      assert.equal(webhookEndpoint?.isActive, false);
      assert.match(webhookEndpoint?.disabledReason ?? '', /410/);
      assert.equal(errorCode(await app.client.request(SendTestWebhook, { endpointId: endpoint.id }, { token })), 'CONFLICT');
      assert.equal(errorCode(await app.client.request(RetryWebhookDelivery, { deliveryId: failed.id }, { token })), 'CONFLICT');
    });

    it('fails a delivery after the last retry; retryWebhookDelivery sends it again with the same webhook-id', async () => {
      const { token, endpoint } = await tenantWithEndpoint('/down');
      let up = false;
      receiver.answer((request) => (request.path === '/down' && !up ? { status: 502 } : { status: 204 }));
      await emitInteraction(app.client, token);
      const delivery = await onlyDeliveryOf(app.client, token, endpoint.id);
      const failed = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'FAILED');
      assert.deepEqual(failed.attempts.map((attempt) => attempt.statusCode), [502, 502, 502, 502]);
      assert.ok((await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token })).webhookEndpoint?.failingSince);

      up = true;
      const { retryWebhookDelivery } = await app.client.data(RetryWebhookDelivery, { deliveryId: failed.id }, { token });
      assert.equal(retryWebhookDelivery.status, 'PENDING');
      const sent = await deliveryWhen(app.client, token, failed.id, (current) => current.status === 'SENT');
      assert.deepEqual(sent.attempts.map((attempt) => attempt.statusCode), [502, 502, 502, 502, 204]);
      const requests = receiver.to('/down');
      assert.deepEqual(requests.map(attemptOf), [1, 2, 3, 4, 5]);
      assert.equal(new Set(requests.map(webhookIdOf)).size, 1);
      assert.equal(errorCode(await app.client.request(RetryWebhookDelivery, { deliveryId: failed.id }, { token })), 'CONFLICT');
    });

    it('replays the deliveries of an endpoint since a moment, and sends a test event on request', async () => {
      const { token, endpoint, tenant } = await tenantWithEndpoint('/replay');
      const since = new Date(Date.now() - 1000).toISOString();
      await emitInteraction(app.client, token, 'one');
      await emitInteraction(app.client, token, 'two');
      const firstRound = await receiver.waitFor('/replay', 2);
      await Promise.all((await deliveriesOf(app.client, token, endpoint.id)).map((delivery) =>
        deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'SENT')));

      const { replayWebhookDeliveries } = await app.client.data(ReplayWebhookDeliveries, { endpointId: endpoint.id, since }, { token });
      assert.equal(replayWebhookDeliveries, 2);
      const replayed = (await receiver.waitFor('/replay', 4)).slice(2);
      assert.deepEqual(new Set(replayed.map(webhookIdOf)), new Set(firstRound.map(webhookIdOf)));
      assert.deepEqual(replayed.map(attemptOf), [2, 2]);

      const { sendTestWebhook } = await app.client.data(SendTestWebhook, { endpointId: endpoint.id }, { token });
      assert.deepEqual([sendTestWebhook.eventType, sendTestWebhook.status, sendTestWebhook.endpoint.id], ['webhook.test', 'PENDING', endpoint.id]);
      const test = (await receiver.waitFor('/replay', 5))[4]!;
      assert.deepEqual([bodyOf(test).type, bodyOf(test).tenantId], ['webhook.test', tenant.id]);
      assert.equal(webhookIdOf(test), sendTestWebhook.eventId);
      new Webhook(endpoint.secret).verify(test.body, test.headers as Record<string, string>);
    });

    it("keeps tenants apart: A's events never reach B's endpoint, and B cannot see or touch A's deliveries", async () => {
      const a = await tenantWithEndpoint('/tenant-a');
      const b = await tenantWithEndpoint('/tenant-b');
      await emitInteraction(app.client, a.token, 'for A only');
      await receiver.waitFor('/tenant-a', 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(receiver.to('/tenant-b').length, 0);

      const delivery = await onlyDeliveryOf(app.client, a.token, a.endpoint.id);
      assert.deepEqual(await deliveriesOf(app.client, b.token, b.endpoint.id), []);
      const asB = { token: b.token };
      for (const result of [
        await app.client.request(RetryWebhookDelivery, { deliveryId: delivery.id }, asB),
        await app.client.request(SendTestWebhook, { endpointId: a.endpoint.id }, asB),
        await app.client.request(ReplayWebhookDeliveries, { endpointId: a.endpoint.id, since: new Date(0).toISOString() }, asB),
      ]) {
        assert.equal(errorCode(result), 'NOT_FOUND', JSON.stringify(result.errors));
      }
      await assert.rejects(deliveryWhen(app.client, b.token, delivery.id, () => true, 0), /NOT_FOUND|not found/);
      await assert.rejects(deliveriesOf(app.client, b.token, a.endpoint.id), /NOT_FOUND|not found/);

      // One receiver may serve several teams: the body says whose event it is.
      await emitInteraction(app.client, b.token, 'for B only');
      const [forB] = await receiver.waitFor('/tenant-b', 1);
      assert.deepEqual([bodyOf(receiver.to('/tenant-a')[0]!).tenantId, bodyOf(forB!).tenantId], [a.tenant.id, b.tenant.id]);
    });

    it('tells webhookDeliveryUpdated subscribers over graphql-ws about each attempt', async () => {
      const { token, endpoint } = await tenantWithEndpoint('/live');
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      const updates = collect(client, OnWebhookDeliveryUpdated, { endpointId: endpoint.id });
      try {
        const event = await triggerUntilReceived(
          () => app.client.data(SendTestWebhook, { endpointId: endpoint.id }, { token }),
          () => updates.events.find((update) => update.webhookDeliveryUpdated.status === 'SENT'),
          { attempts: 20, waitMs: 500 },
        );
        assert.equal(event.webhookDeliveryUpdated.attemptCount, 1);
        assert.deepEqual(event.webhookDeliveryUpdated.attempts.map((attempt) => attempt.statusCode), [200]);
        assert.equal(event.webhookDeliveryUpdated.endpoint.id, endpoint.id);
        // The update carries no body; asking for it loads the one that was sent.
        const body = event.webhookDeliveryUpdated.payload as { type: string; data: { endpointId: string } };
        assert.equal(body.type, 'webhook.test');
        assert.equal(body.data.endpointId, endpoint.id);
        // The update is the delivery as it was stored: the same answer as a query's, field for field.
        assert.deepEqual(event.webhookDeliveryUpdated, await onlyDeliveryOf(app.client, token, endpoint.id));
      } finally {
        updates.unsubscribe();
        await client.dispose();
      }
    });
  });
}

for (const backend of backends()) {
  describe(`webhook delivery slots shared between tenants (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let receiver: Receiver;
    before(async () => {
      // One endpoint may take every slot of the instance (64): only the tenant cap holds it back.
      const env = { WEBHOOK_ENDPOINT_CONCURRENCY: '64', WEBHOOK_TIMEOUT_MS: '30000' };
      [app, receiver] = await Promise.all([backend.env().then((base) => startApp({ ...base, ...env })), startReceiver()]);
      receiver.answer((request) => (request.path === '/slow' ? 'hang' : { status: 200 }));
    });
    after(() => Promise.all([app?.stop(), receiver?.close()]));

    it("dispatches another tenant's event in the first batch, and no batch schedules more than 500 deliveries", async () => {
      const a = await signUpTenant(app.client);
      for (let index = 0; index < 10; index++) await createEndpoint(app.client, a.token, receiver.url(`/many/${index}`));
      const b = await signUpTenant(app.client);
      await createEndpoint(app.client, b.token, receiver.url('/b'));
      // Committed together, so the dispatcher finds all of them waiting at once: 600 deliveries of A, then B's one.
      // An interaction.created as the code emits it (receivers check bodies against the published schema).
      const event = (tenantId: string, text: string) => {
        const at = new Date().toISOString();
        return { id: uuid7(), tenantId, type: 'interaction.created', data: { id: uuid7(), text, speakerId: null, conversationId: null, occurredAt: at, createdAt: at } };
      };
      const burst = [...Array.from({ length: 60 }, (_, index) => event(a.tenant.id, `burst ${index}`)), event(b.tenant.id, 'first of B')];
      await app.prisma().outboxEvent.createMany({ data: burst });

      const rows = await eventually(async () => {
        const found = await app.prisma().outboxEvent.findMany({ where: { id: { in: burst.map((row) => row.id) } }, select: { tenantId: true, dispatchedAt: true } });
        return found.every((row) => row.dispatchedAt) ? found : undefined;
      }, 20_000, 'the burst dispatched');
      const batches = new Map<number, { a: number; b: number }>();
      for (const row of rows) {
        const batch = batches.get(row.dispatchedAt!.getTime()) ?? { a: 0, b: 0 };
        if (row.tenantId === a.tenant.id) batch.a++;
        else batch.b++;
        batches.set(row.dispatchedAt!.getTime(), batch);
      }
      const inOrder = [...batches].sort(([x], [y]) => x - y).map(([, batch]) => batch);
      assert.equal(inOrder[0]!.b, 1, `B's event waited for a later batch: ${JSON.stringify(inOrder)}`);
      assert.ok(inOrder.every((batch) => batch.a * 10 + batch.b <= 500), `a batch scheduled more than 500 deliveries: ${JSON.stringify(inOrder)}`);
      const delivered = () => receiver.requests.filter((request) => request.path.startsWith('/many/')).length;
      await eventually(() => delivered() >= 600 || undefined, 30_000, "A's 600 deliveries");
      assert.equal(delivered(), 600);
    });

    it("delivers another tenant's event at once while one tenant's receiver holds every attempt it gets", async () => {
      const a = await signUpTenant(app.client);
      await createEndpoint(app.client, a.token, receiver.url('/slow'));
      const b = await signUpTenant(app.client);
      await createEndpoint(app.client, b.token, receiver.url('/quick'));

      for (let index = 0; index < 80; index++) await emitInteraction(app.client, a.token, `backlog ${index}`);
      await receiver.waitFor('/slow', 56, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(receiver.to('/slow').length, 56, 'one tenant gets 56 of the 64 slots, never all of them');

      const emittedAt = Date.now();
      await emitInteraction(app.client, b.token, 'first of B');
      const [request] = await receiver.waitFor('/quick', 1, 10_000);
      assert.equal(bodyOf(request!).data.text, 'first of B');
      assert.ok(request!.at - emittedAt < 1_000, `B's event waited ${request!.at - emittedAt} ms behind A's backlog`);
    });
  });
}
