import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { createKey, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Login, Me } from './support/operations.ts';
import { externalServicesSkipReason, startPostgres, startRedis, type PostgresServer, type RedisServer } from './support/services.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const ready = async (app: RunningApp) => (await fetch(`${app.origin}/ready`)).status;

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
});
