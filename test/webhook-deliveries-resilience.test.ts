import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startApp, type RunningApp } from './support/app.ts';
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
import { eventually, signUpTenant } from './support/fixtures.ts';
import { RetryWebhookDelivery } from './support/delivery-operations.ts';
import { WebhookEndpointById } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

const all = backends();

for (const backend of all) {
  describe(`webhook deliveries across restarts and failures (${backend.name})`, { skip: backend.skip }, () => {
    let receiver: Receiver;
    before(async () => {
      receiver = await startReceiver();
    });
    after(() => receiver?.close());

    it('resumes after a restart, and hands back an attempt cut off by shutdown instead of counting it', async () => {
      // A timeout longer than the shutdown grace, so that it is the shutdown that cuts the hanging attempt off.
      const env = { ...(await backend.env()), ...FAST_RETRIES, WEBHOOK_TIMEOUT_MS: '10000' };
      receiver.answer((_request, count) => (count === 0 ? { status: 500 } : count === 1 ? 'hang' : { status: 200 }));
      let app = await startApp(env);
      try {
        const { token, endpoint } = await createdTenant(app, receiver.url('/restart'));
        await emitInteraction(app.client, token);
        await receiver.waitFor('/restart', 1);
        await app.stop(); // the retry is not due yet: the stopped app leaves it pending

        app = await startApp(env);
        await receiver.waitFor('/restart', 2); // hangs
        const stopping = Date.now();
        await app.stop();
        assert.ok(Date.now() - stopping < 5000, `shutdown took ${Date.now() - stopping} ms`);

        app = await startApp(env);
        const requests = await receiver.waitFor('/restart', 3);
        assert.deepEqual(requests.map(attemptOf), [1, 2, 2]);
        assert.equal(new Set(requests.map(webhookIdOf)).size, 1);
        const delivery = await onlyDeliveryOf(app.client, token, endpoint.id);
        const sent = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'SENT');
        assert.deepEqual(sent.attempts.map((attempt) => [attempt.attemptNumber, attempt.statusCode]), [[1, 500], [2, 200]]);
      } finally {
        await app.stop();
      }
    });

    it('hands back at shutdown the deliveries claimed ahead of a free slot, so that the next start sends them at once', async () => {
      // One attempt per endpoint at a time: the first event hangs, the next two wait claimed ahead.
      const env = { ...(await backend.env()), WEBHOOK_ENDPOINT_CONCURRENCY: '1', WEBHOOK_TIMEOUT_MS: '10000' };
      receiver.answer((request, count) => (request.path === '/claimed-ahead' && count === 0 ? 'hang' : { status: 200 }));
      let app = await startApp(env);
      try {
        const { token, endpoint } = await createdTenant(app, receiver.url('/claimed-ahead'));
        for (const text of ['first', 'second', 'third']) await emitInteraction(app.client, token, text);
        await receiver.waitFor('/claimed-ahead', 1);
        await app.stop();

        // Left to their lease, the two waiting would come back only after 4 x 10 s + 30 s.
        const restartedAt = Date.now();
        app = await startApp(env);
        const requests = await receiver.waitFor('/claimed-ahead', 4, 15_000);
        assert.ok(Date.now() - restartedAt < 15_000);
        // Handed back, they are due again from that moment: no order between them is promised.
        assert.deepEqual(requests.map((request) => bodyOf(request).data.text).sort(), ['first', 'first', 'second', 'third']);
        assert.deepEqual(requests.map(attemptOf), [1, 1, 1, 1], 'an attempt cut off by shutdown is handed back, not counted');
        const sent = await Promise.all(
          (await deliveriesOf(app.client, token, endpoint.id)).map((delivery) => deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'SENT')),
        );
        assert.deepEqual(sent.map((delivery) => delivery.attemptCount), [1, 1, 1]);
      } finally {
        await app.stop();
      }
    });

    it('keeps a delivery retried while its attempt is in flight to that one attempt until it ends', async () => {
      // The first request hangs until the 2 s timeout; the retry asked for meanwhile must not start a second beside it.
      const app = await startApp({ ...(await backend.env()), ...FAST_RETRIES });
      try {
        const { token, delivery } = await hangingFirstAttempt(app, receiver, '/in-flight');
        const retried = (await app.client.data(RetryWebhookDelivery, { deliveryId: delivery.id }, { token })).retryWebhookDelivery;
        assert.equal(retried.status, 'PENDING');
        await delay(1_000); // what must not happen: a second request while the first hangs
        assert.equal(receiver.to('/in-flight').length, 1);
        const sent = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'SENT');
        assert.deepEqual(sent.attempts.map((attempt) => [attempt.attemptNumber, attempt.statusCode, attempt.error?.split(':')[0] ?? null]), [[1, null, 'timeout'], [2, 200, null]]);
        assert.deepEqual(receiver.to('/in-flight').map(attemptOf), [1, 2]);
      } finally {
        await app.stop();
      }
    });

    it('records nothing for an attempt whose claim was taken over meanwhile, and leaves the new claim alone', async () => {
      const app = await startApp({ ...(await backend.env()), ...FAST_RETRIES }, { captureLogs: true });
      try {
        const { delivery } = await hangingFirstAttempt(app, receiver, '/taken-over');
        // As if this instance's lease had run out while the request hung, and another instance had claimed the delivery.
        const otherLease = new Date(Date.now() + 3_600_000);
        await app.prisma().webhookDelivery.update({ where: { id: delivery.id }, data: { leaseUntil: otherLease } });
        await eventually(
          () => app.logs.find((line) => line.deliveryId === delivery.id && String(line.msg).startsWith('delivery taken over')),
          10_000,
          'the timed-out attempt to be refused',
        );
        const row = await app.prisma().webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id }, include: { attempts: true } });
        assert.deepEqual([row.status, row.attemptCount, row.attempts.length, row.leaseUntil?.getTime()], ['PENDING', 0, 0, otherLease.getTime()]);
      } finally {
        await app.stop();
      }
    });

    it('disables an endpoint failing for longer than the window and announces endpoint.disabled', async () => {
      // 0.001 h = 3.6 s: the first attempt starting that long after the first failure disables the endpoint.
      const app = await startApp({ ...(await backend.env()), WEBHOOK_RETRY_SCHEDULE: '1,1,1,1,1,1,1,1', WEBHOOK_DISABLE_AFTER_HOURS: '0.001' });
      try {
        receiver.answer((request) => (request.path === '/failing' ? { status: 500 } : { status: 200 }));
        const { token, endpoint } = await createdTenant(app, receiver.url('/failing'));
        await createEndpoint(app.client, token, receiver.url('/watcher'), ['endpoint.disabled']);
        await emitInteraction(app.client, token);
        const [announcement] = await receiver.waitFor('/watcher', 1, 15_000);
        assert.deepEqual(bodyOf(announcement!).data, {
          endpointId: endpoint.id,
          url: receiver.url('/failing'),
          reason: bodyOf(announcement!).data.reason,
        });
        assert.match(String(bodyOf(announcement!).data.reason), /No successful delivery since/);
        const { webhookEndpoint } = await app.client.data(WebhookEndpointById, { id: endpoint.id }, { token });
        assert.equal(webhookEndpoint?.isActive, false);
        assert.equal(webhookEndpoint?.disabledReason, bodyOf(announcement!).data.reason);
        const delivery = await onlyDeliveryOf(app.client, token, endpoint.id);
        const failed = await deliveryWhen(app.client, token, delivery.id, (current) => current.status === 'FAILED');
        // How many attempts fit in the window depends on how busy the machine is; the rule does not.
        const startedAt = failed.attempts.map((attempt) => Date.parse(attempt.at)).sort((a, b) => a - b);
        const sinceFirst = startedAt.map((at) => at - startedAt[0]!);
        assert.ok(sinceFirst.length >= 2 && sinceFirst.at(-1)! >= 3_600, `the last attempt started ${sinceFirst.at(-1)} ms after the first`);
        assert.ok(sinceFirst.slice(0, -1).every((ms) => ms < 3_600), `only the last attempt is past the window: ${sinceFirst.join(', ')}`);
        assert.equal(failed.attemptCount, startedAt.length);
      } finally {
        await app.stop();
      }
    });
  });
}

const postgresAndRedis = all.find((backend) => backend.name === 'postgres+redis')!;

describe('webhook deliveries from two instances on one Postgres and Redis', { skip: postgresAndRedis.skip }, () => {
  let a: RunningApp;
  let b: RunningApp;
  let receiver: Receiver;
  before(async () => {
    const env = { ...(await postgresAndRedis.env()), ...FAST_RETRIES };
    [a, b, receiver] = await Promise.all([startApp(env), startApp(env), startReceiver()]);
  });
  after(() => Promise.all([a?.stop(), b?.stop(), receiver?.close()]));

  it('makes each attempt exactly once, whichever instance claims it', async () => {
    const events = 40;
    receiver.answer((request) => {
      const seen = receiver.requests.filter((earlier) => webhookIdOf(earlier) === webhookIdOf(request)).length;
      return seen === 1 ? { status: 503 } : { status: 200 };
    });
    const { token } = await createdTenant(a, receiver.url('/shared'));
    for (let index = 0; index < events; index++) await emitInteraction(index % 2 ? a.client : b.client, token, `event ${index}`);
    await receiver.waitFor('/shared', 2 * events, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const attemptsById = new Map<string, number[]>();
    for (const request of receiver.requests) {
      attemptsById.set(webhookIdOf(request), [...(attemptsById.get(webhookIdOf(request)) ?? []), attemptOf(request)]);
    }
    assert.equal(attemptsById.size, events);
    assert.equal(receiver.requests.length, 2 * events);
    for (const attempts of attemptsById.values()) assert.deepEqual(attempts, [1, 2]);
  });
});

async function createdTenant(app: RunningApp, url: string) {
  const admin = await signUpTenant(app.client);
  return { ...admin, endpoint: await createEndpoint(app.client, admin.token, url) };
}

/** A new tenant's delivery to `path` whose first request hangs (until the app's timeout); answers once that request arrived. */
async function hangingFirstAttempt(app: RunningApp, receiver: Receiver, path: string) {
  receiver.answer((request, count) => (request.path === path && count === 0 ? 'hang' : { status: 200 }));
  const { token, endpoint } = await createdTenant(app, receiver.url(path));
  await emitInteraction(app.client, token);
  await receiver.waitFor(path, 1);
  return { token, delivery: await onlyDeliveryOf(app.client, token, endpoint.id) };
}
