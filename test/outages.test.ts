import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startAgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { controlledChat, finalReply, follow, send } from './support/conversations.ts';
import { bodyOf, createEndpoint, emitInteraction } from './support/deliveries.ts';
import { createKey, eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { Login, Me, OnAuditEvent, OnInteractionCreated } from './support/operations.ts';
import { startReceiver } from './support/receiver.ts';
import { externalServicesSkipReason, startPostgres, startRedis, type PostgresServer, type RedisServer } from './support/services.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const ready = async (app: RunningApp) => (await fetch(`${app.origin}/ready`)).status;
const OUTAGE_MS = 10_000;

describe('outages of PostgreSQL and Redis (postgres+redis)', { skip: externalServicesSkipReason() }, () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let app: RunningApp;
  let dataDir: string;
  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    dataDir = await tempDir('data');
    app = await startApp({ DATA_DIR: dataDir, DATABASE_URL: postgres.url, REDIS_URL: redis.url }, { captureLogs: true });
  });
  after(async () => {
    await app?.stop();
    await Promise.all([postgres?.stop(), redis?.stop()]);
    if (dataDir) await removeTempDir(dataDir);
  });

  const messages = () => app.logs.map((line) => String(line.msg));

  it('keeps login working while Redis is down, limiting per instance, and says so in the log once each way', async () => {
    const { email } = await signUpTenant(app.client);
    await redis.interrupt();
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const result = await app.client.request(Login, { input: { email, password: PASSWORD } });
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      }
      const failures = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        failures.push(errorCode(await app.client.request(Login, { input: { email, password: 'not the password' } })));
      }
      assert.equal(failures.at(-1), 'RATE_LIMITED', 'the local limiter still limits');
      assert.equal(await ready(app), 503, '/ready reports the outage');
      assert.equal(messages().filter((msg) => msg.startsWith('rate limits are counted per instance')).length, 1);
    } finally {
      await redis.resume();
    }
    await eventually(async () => ((await ready(app)) === 200 ? true : undefined), 15_000, '/ready to recover');
    const other = await signUpTenant(app.client);
    await eventually(async () => {
      const result = await app.client.request(Login, { input: { email: other.email, password: PASSWORD } });
      return result.errors === undefined && messages().includes('rate limits are shared through Redis again') ? true : undefined;
    }, 15_000, 'the shared limiter to be used again');
  });

  it('answers SERVICE_UNAVAILABLE with HTTP 503 while PostgreSQL is down, and recovers when it is back', async () => {
    const admin = await signUpTenant(app.client);
    const { key } = await createKey(app.client, admin.token, ['api_keys:read']);
    await postgres.interrupt();
    try {
      const bearer = await app.client.request(Me, {}, { token: admin.token });
      assert.equal(errorCode(bearer), 'SERVICE_UNAVAILABLE', JSON.stringify(bearer.errors));
      assert.equal(bearer.status, 503);
      assert.ok(Number(bearer.errors![0]!.extensions!.retryAfterSeconds) > 0);
      assert.equal(bearer.errors![0]!.extensions!.http, undefined, 'transport details stay out of the answer');

      const keyed = await app.client.request(Me, {}, { apiKey: key });
      assert.equal(errorCode(keyed), 'SERVICE_UNAVAILABLE', JSON.stringify(keyed.errors));
      assert.equal(keyed.status, 503);
      assert.equal(await ready(app), 503);
    } finally {
      await postgres.resume();
    }
    const me = await eventually(async () => {
      const result = await app.client.request(Me, {}, { token: admin.token });
      return result.errors ? undefined : result;
    }, 15_000, 'requests to succeed again');
    assert.equal(me.data?.me.email, admin.email);
  });

  it('keeps live-only subscriptions open through 10 s without Redis, delivers webhooks meanwhile, and the events of the outage afterwards, once and in order', async () => {
    const admin = await signUpTenant(app.client);
    const receiver = await startReceiver();
    const { client, closes } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
    try {
      await createEndpoint(app.client, admin.token, receiver.url('/outage'), ['interaction.created']);
      const live = collect(client, OnInteractionCreated);
      await triggerUntilReceived(() => emitInteraction(app.client, admin.token, 'before'), () => live.events[0]);
      const heard = () => live.events.map((event) => event.interactionCreated.text).filter((text) => text.startsWith('during'));
      const delivered = () => receiver.to('/outage').map((request) => String(bodyOf(request).data.text)).filter((text) => text.startsWith('during'));

      const produced: string[] = [];
      const outageStarted = Date.now();
      await redis.interrupt();
      try {
        while (Date.now() - outageStarted < OUTAGE_MS) {
          produced.push(`during ${produced.length + 1}`);
          await emitInteraction(app.client, admin.token, produced.at(-1));
          await delay(1000);
        }
        assert.equal(await ready(app), 503, '/ready reports the outage');
        await eventually(() => (delivered().length >= produced.length ? true : undefined), 10_000, 'the webhooks of the outage');
        assert.deepEqual(delivered().sort(), [...produced].sort(), 'every webhook is delivered while Redis is down');
        assert.deepEqual(heard(), [], 'nothing reaches subscribers while Redis is down');
        const refused = collect(client, OnAuditEvent);
        await assert.rejects(refused.next(1, 5000), /SERVICE_UNAVAILABLE/, 'a subscription started now is told to retry');
      } finally {
        await redis.resume();
      }

      await eventually(() => (heard().length >= produced.length ? true : undefined), 15_000, 'the events of the outage to reach the subscriber');
      await delay(1500); // a duplicate would have arrived by now
      assert.deepEqual(heard(), produced, 'every event of the outage, exactly once, in order');
      assert.deepEqual(closes, [], 'the socket stayed open: the client never had to reconnect');
      assert.deepEqual(live.errors, []);
      assert.equal(live.completed, false, 'the subscription is still running');
      await emitInteraction(app.client, admin.token, 'during the next day');
      await eventually(() => (heard().length === produced.length + 1 ? true : undefined), 5000, 'an event after the outage');
      const retried = collect(client, OnAuditEvent);
      const login = () => app.client.data(Login, { input: { email: admin.email, password: PASSWORD } });
      await triggerUntilReceived(login, () => retried.events[0]);
      await eventually(async () => ((await ready(app)) === 200 ? true : undefined), 15_000, '/ready to recover');
    } finally {
      await client.dispose();
      await receiver.close();
    }
  });

  it('ends messageStream followers with SERVICE_UNAVAILABLE when Redis goes; resumed with afterSeq, each ends with its stored reply, finished during the outage or after it', async () => {
    const admin = await signUpTenant(app.client);
    const standin = await startAgentStandin();
    const followers: ReturnType<typeof follow>[] = [];
    const following = (messageId: string, afterSeq?: number) => {
      const stream = follow(app, admin.token, messageId, afterSeq);
      followers.push(stream);
      return stream;
    };
    const streaming = async (tokens: string[]) => {
      const { chatId, agent } = await controlledChat(app, standin, admin.token);
      const upstream = agent();
      const { assistantMessage } = await send(app, admin.token, chatId);
      await upstream.arrived;
      const follower = following(assistantMessage.id);
      await follower.next(1);
      upstream.sendMany(tokens);
      await follower.next(1 + tokens.length);
      return { chatId, messageId: assistantMessage.id, upstream, follower };
    };
    try {
      const endsDuring = await streaming(['one ', 'two ']);
      const endsAfter = await streaming(['uno ', 'dos ']);

      await redis.interrupt();
      try {
        for (const { follower } of [endsDuring, endsAfter]) {
          await assert.rejects(follower.untilComplete(5000), (error: Error) => /SERVICE_UNAVAILABLE/.test(error.message) && /afterSeq/.test(error.message));
        }
        endsDuring.upstream.send('three ');
        endsDuring.upstream.end();
        endsAfter.upstream.send('tres ');
        const ended = await finalReply(app, admin.token, endsDuring.chatId, endsDuring.messageId);
        assert.deepEqual([ended.status, ended.content], ['COMPLETED', 'one two three '], 'a reply ends while Redis is down');
        await assert.rejects(following(endsAfter.messageId, 3).untilComplete(10_000), /SERVICE_UNAVAILABLE/);
        assert.equal(await ready(app), 503);
      } finally {
        await redis.resume();
      }
      endsAfter.upstream.send('cuatro ');
      endsAfter.upstream.end();

      for (const [reply, content] of [[endsDuring, 'one two three '], [endsAfter, 'uno dos tres cuatro ']] as const) {
        const lastSeen = reply.follower.seqs().at(-1)!;
        const events = await resumeAfterOutage(() => following(reply.messageId, lastSeen));
        const stored = await finalReply(app, admin.token, reply.chatId, reply.messageId);
        assert.deepEqual([stored.status, stored.content], ['COMPLETED', content]);
        assert.deepEqual(
          events.map(({ messageStream }) => [messageStream.type, messageStream.seq, messageStream.message?.content]),
          [['DONE', stored.lastSeq, content]],
          'what streamed during the outage comes with the last event, numbered after what the follower saw',
        );
        assert.ok(stored.lastSeq > lastSeen);
      }
    } finally {
      await Promise.all(followers.map((stream) => stream.close()));
      await standin.close();
    }
  });
});

/** Subscribes again, as a client told SERVICE_UNAVAILABLE does, until a subscription is accepted and completes. */
async function resumeAfterOutage(subscribe: () => ReturnType<typeof follow>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stream = subscribe();
    try {
      return await stream.untilComplete(timeoutMs);
    } catch (error) {
      if (!/SERVICE_UNAVAILABLE/.test(String(error)) || Date.now() > deadline) throw error;
      await delay(250);
    }
  }
}
