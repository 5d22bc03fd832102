import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import pg from 'pg';
import { TenantsService } from '../src/modules/tenants/service.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { PASSWORD, signUpTenant } from './support/fixtures.ts';
import { CreateApiKey, CurrentTenant, Login, OnAuditEvent, SignUp } from './support/operations.ts';
import { backends } from './support/services.ts';

const ALLOWED_ORIGIN = 'http://app.example';

/** A raw POST /graphql, for bodies and documents the typed client cannot express. */
async function post(app: RunningApp, body: string) {
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
  const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers, body });
  const json = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: response.status, headers: response.headers, ...json };
}
const query = (app: RunningApp, document: string) => post(app, JSON.stringify({ query: document }));

function assertInvalid(result: Awaited<ReturnType<typeof post>>, message: RegExp) {
  assert.equal(result.status, 400);
  assert.equal(result.data, undefined);
  assert.equal(result.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
  assert.match(result.errors![0]!.message, message);
}

async function until(predicate: () => boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Subscribes to auditEventCreated and creates API keys until an event arrives: the server does not
 * say when a subscription is live, so the first event proves it.
 */
async function liveAuditSubscription(app: RunningApp, client: Client, token: string) {
  const subscription = collect(client, OnAuditEvent);
  for (let attempt = 1; subscription.events.length === 0; attempt++) {
    await app.client.data(CreateApiKey, { input: { name: `probe ${attempt}` } }, { token });
    await until(() => subscription.events.length > 0 || subscription.errors.length > 0, 'an event', 300).catch(() => {
      if (attempt === 10) throw new Error(`no audit event after ${attempt} keys: ${JSON.stringify(subscription.errors)}`);
    });
  }
  return subscription;
}

/** Runs `use` with a graphql-ws client (and the closes it saw), then disposes of the client. */
async function withWs<T>(app: RunningApp, params: Record<string, unknown> | undefined, use: (client: Client, closes: { code: number; reason: string }[]) => Promise<T>) {
  const { client, closes } = wsClient(app.wsUrl, params);
  try {
    return await use(client, closes);
  } finally {
    await client.dispose();
  }
}

/** `{ ... on Query { ... on Query { __typename } } }`: valid at any depth, since each fragment is a level. */
const nested = (levels: number) => {
  let selection = '__typename';
  for (let i = 1; i < levels; i++) selection = `... on Query { ${selection} }`;
  return `{ ${selection} }`;
};
const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __type(name: "Query") { name }`).join(' ')} }`;

function assertNoInternals(text: string, ...secrets: string[]) {
  for (const leak of ['SELECT', ' at ', '.ts:', 'node_modules', 'stack', ...secrets]) {
    assert.ok(!text.includes(leak), `response leaks "${leak}": ${text}`);
  }
}

for (const backend of backends()) {
  describe(`transport (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let env: Record<string, string>;
    before(async () => {
      env = { ...(await backend.env()), CORS_ORIGINS: ALLOWED_ORIGIN };
      app = await startApp(env);
    });
    after(() => app?.stop());

    it('GET /health answers 200 {"status":"ok"}', async () => {
      const response = await fetch(`${app.origin}/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
    });

    it('GET /ready answers 200 while the database (and Redis) answer, and says which backends serve', async () => {
      const response = await fetch(`${app.origin}/ready`);
      assert.equal(response.status, 200);
      const backends = backend.name === 'embedded' ? { database: 'embedded', pubsub: 'memory' } : { database: 'postgres', pubsub: 'redis' };
      assert.deepEqual(await response.json(), { status: 'ready', ...backends });
    });

    it('every response carries x-request-id, echoing a sane given one and replacing an unsafe one', async () => {
      for (const path of ['/health', '/ready', '/graphql?query=%7B__typename%7D', '/nowhere']) {
        const generated = (await fetch(`${app.origin}${path}`)).headers.get('x-request-id');
        assert.match(generated ?? '', /^[0-9a-f-]{36}$/, path);
        const echoed = await fetch(`${app.origin}${path}`, { headers: { 'x-request-id': 'caller-42:trace.1_a' } });
        assert.equal(echoed.headers.get('x-request-id'), 'caller-42:trace.1_a', path);
      }
      for (const unsafe of ['has spaces', 'x'.repeat(101), '<script>']) {
        const response = await fetch(`${app.origin}/health`, { headers: { 'x-request-id': unsafe } });
        assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      }
    });

    it('refuses a body over MAX_BODY_BYTES with 413 and a JSON error, executing nothing', async () => {
      assert.equal(app.config.maxBodyBytes, 1_048_576);
      const email = `too-big-${Date.now()}@example.com`;
      const input = { tenantName: 'Too Big', email, password: PASSWORD };
      const body = JSON.stringify({ query: print(SignUp), variables: { input, padding: 'x'.repeat(app.config.maxBodyBytes) } });
      const refused = await post(app, body);
      assert.equal(refused.status, 413);
      assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(refused.errors![0]!.message, /1048576 bytes/);
      assert.ok(refused.headers.get('x-request-id'));
      const login = await app.client.request(Login, { input: { email, password: input.password } });
      assert.equal(errorCode(login), 'UNAUTHENTICATED', 'the sign-up in the refused body must not have run');

      const justUnder = JSON.stringify({ query: '{ __typename }', variables: { padding: '' } });
      const fits = await post(app, justUnder.replace('"padding":""', `"padding":"${'x'.repeat(app.config.maxBodyBytes - justUnder.length)}"`));
      assert.equal(fits.status, 200);
      assert.deepEqual(fits.data, { __typename: 'Query' });
    });

    it('accepts a chunked body under MAX_BODY_BYTES, and refuses one over it with 413, executing nothing', async () => {
      const chunked = (text: string) => {
        const bytes = new TextEncoder().encode(text);
        const pieces = [bytes.subarray(0, 10), bytes.subarray(10)];
        const body = new ReadableStream({ start: (controller) => (pieces.forEach((piece) => controller.enqueue(piece)), controller.close()) });
        const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' };
        return fetch(`${app.origin}/graphql`, init as RequestInit);
      };
      const accepted = await chunked(JSON.stringify({ query: '{ __typename }' }));
      assert.equal(accepted.status, 200);
      assert.deepEqual(await accepted.json(), { data: { __typename: 'Query' } });

      const email = `chunked-${Date.now()}@example.com`;
      const input = { tenantName: 'Chunked', email, password: PASSWORD };
      const signUp = (padding: string) => JSON.stringify({ query: print(SignUp), variables: { input, padding } });
      const refused = await chunked(signUp('x'.repeat(app.config.maxBodyBytes)));
      assert.equal(refused.status, 413);
      const answer = (await refused.json()) as { errors: { message: string; extensions: { code: string } }[] };
      assert.equal(answer.errors[0]!.extensions.code, 'BAD_USER_INPUT');
      assert.match(answer.errors[0]!.message, /1048576 bytes/);
      assert.equal(errorCode(await app.client.request(Login, { input: { email, password: PASSWORD } })), 'UNAUTHENTICATED');

      const signedUp = await chunked(signUp(''));
      assert.equal(((await signedUp.json()) as { data: { signUp: { user: { email: string } } } }).data.signUp.user.email, email);
    });

    it('accepts an operation at the depth limit (12) and refuses one level deeper as a validation error', async () => {
      assert.deepEqual((await query(app, nested(12))).data, { __typename: 'Query' });
      assertInvalid(await query(app, nested(13)), /depth limit of 12/);
    });

    it('accepts 20 aliases and refuses 21 as a validation error', async () => {
      const ok = await query(app, aliased(20));
      assert.equal(ok.errors, undefined);
      assert.equal(Object.keys(ok.data as object).length, 20);
      assertInvalid(await query(app, aliased(21)), /Aliases limit of 20/);
    });

    it('refuses an operation over the cost limit as a validation error, before authentication', async () => {
      assertInvalid(await query(app, '{ auditEvents(first: 5000) { edges { node { id type } } } }'), /Cost limit of 5000/);
    });

    it('still answers full introspection for GraphiQL', async () => {
      const result = await query(app, '{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }');
      assert.equal(result.errors, undefined);
      const names = (result.data as { __schema: { types: { name: string }[] } }).__schema.types.map((type) => type.name);
      for (const name of ['Query', 'Mutation', 'Subscription', 'User', 'AuthPayload']) assert.ok(names.includes(name), name);
    });

    it('masks an unexpected error as INTERNAL_SERVER_ERROR naming the request id, without SQL or stack', async (t) => {
      const { token } = await signUpTenant(app.client);
      t.mock.method(TenantsService.prototype, 'get', async () => {
        throw new Error('relation "tenants" does not exist: SELECT "t"."id" FROM "public"."tenants"');
      });
      const result = await app.client.request(CurrentTenant, {}, { token, headers: { 'x-request-id': 'masking-test-1' } });
      assert.equal(result.data, null);
      assert.equal(errorCode(result), 'INTERNAL_SERVER_ERROR');
      assert.match(result.errors![0]!.message, /request id masking-test-1/);
      assert.deepEqual(Object.keys(result.errors![0]!.extensions!).sort(), ['code', 'requestId']);
      assertNoInternals(JSON.stringify(result.errors), 'tenants', 'relation');
    });

    it('answers BAD_USER_INPUT, not INTERNAL_SERVER_ERROR, for text the database cannot store (NUL)', async () => {
      const email = `nul-${Date.now()}@example.com`;
      const signUp = await app.client.request(SignUp, { input: { tenantName: 'Nul\u0000Corp', email, password: PASSWORD } });
      assert.equal(errorCode(signUp), 'BAD_USER_INPUT');
      assert.equal(signUp.errors![0]!.extensions!.field, 'tenantName');
      const login = await app.client.request(Login, { input: { email, password: PASSWORD, tenantSlug: 'acme\u0000' } });
      assert.equal(errorCode(login), 'BAD_USER_INPUT');
      assert.equal(login.errors![0]!.extensions!.field, 'tenantSlug');
    });

    // Only a real Postgres server can be taken away from the app by another client.
    if (backend.name === 'postgres+redis') it('answers /ready 503 and SERVICE_UNAVAILABLE, without internals, while Postgres refuses the app, then recovers', async () => {
      const { token } = await signUpTenant(app.client);
      const databaseUrl = new URL(env.DATABASE_URL!);
      const database = databaseUrl.pathname.slice(1);
      const admin = new pg.Client({ connectionString: Object.assign(new URL(databaseUrl), { pathname: '/postgres' }).href });
      await admin.connect();
      try {
        await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS false`);
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
        const ready = await fetch(`${app.origin}/ready`);
        assert.equal(ready.status, 503);
        assert.deepEqual(await ready.json(), { status: 'unavailable', database: 'postgres', pubsub: 'redis' });
        const result = await app.client.request(CurrentTenant, {}, { token, headers: { 'x-request-id': 'db-down-1' } });
        assert.equal(errorCode(result), 'SERVICE_UNAVAILABLE');
        assert.equal(result.status, 503);
        assert.match(result.errors![0]!.message, /request id db-down-1/);
        assertNoInternals(JSON.stringify(result.errors), database, 'postgres', 'connection');
      } finally {
        await admin.query(`ALTER DATABASE "${database}" WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      }
      assert.equal((await fetch(`${app.origin}/ready`)).status, 200);
      assert.ok((await app.client.data(CurrentTenant, {}, { token })).tenant.id);
    });

    it('allows a CORS preflight from a configured origin, with credentials, and no other origin', async () => {
      const preflight = (origin: string) =>
        fetch(`${app.origin}/graphql`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrf-token' },
        });
      const allowed = await preflight(ALLOWED_ORIGIN);
      assert.ok(allowed.status < 300, String(allowed.status));
      assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), 'true');
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /x-csrf-token/);
      const other = await preflight('http://evil.example');
      assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://evil.example');
      assert.notEqual(other.headers.get('access-control-allow-origin'), '*');
    });

    describe('graphql-ws authentication', () => {
      const closedWith = (params: Record<string, unknown>) =>
        withWs(app, params, async (_client, closes) => (await until(() => closes.length > 0, 'the socket to close'), closes[0]!));

      it('closes with 4401 and a reason for a bad bearer token or an unknown API key', async () => {
        for (const [params, reason] of [[{ authorization: 'Bearer garbage' }, /access token/i], [{ apiKey: 'sk_bad' }, /API key/i]] as const) {
          const close = await closedWith(params);
          assert.equal(close.code, 4401, JSON.stringify(params));
          assert.match(close.reason, reason);
        }
      });

      it('accepts a good token and delivers its tenant events', async () => {
        const { token } = await signUpTenant(app.client);
        await withWs(app, { authorization: `Bearer ${token}` }, async (client, closes) => {
          const subscription = await liveAuditSubscription(app, client, token);
          assert.equal(subscription.events[0]!.auditEventCreated.type, 'API_KEY_CREATED');
          assert.deepEqual(subscription.errors, []);
          assert.deepEqual(closes, []);
        });
      });

      it('connects without credentials, but answers auditEventCreated with UNAUTHENTICATED', async () => {
        await withWs(app, undefined, async (client, closes) => {
          const subscription = collect(client, OnAuditEvent);
          await until(() => subscription.errors.length > 0, 'an error');
          const [error] = subscription.errors as { extensions?: { code?: string } }[];
          assert.equal(error?.extensions?.code, 'UNAUTHENTICATED');
          assert.deepEqual(subscription.events, []);
          assert.deepEqual(closes, []);
        });
      });

      it('refuses an over-deep operation as a validation error and keeps the socket open', async () => {
        await withWs(app, undefined, async (client, closes) => {
          const result = await new Promise((resolve) => client.subscribe({ query: nested(13) }, { next: resolve, error: resolve, complete: () => resolve('complete') }));
          const [error] = result as { message: string; extensions?: { code?: string } }[];
          assert.equal(error?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
          assert.match(error!.message, /depth limit of 12/);
          assert.deepEqual(closes, []);
        });
      });
    });
  });

  describe(`graceful shutdown (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let closes: { code: number; reason: string }[];
    let rawResponses = '';
    let stopMs = 0;
    let disposeWs: (() => unknown) | undefined;
    after(async () => {
      await disposeWs?.();
      await app?.stop();
    });
    before(async () => {
      app = await startApp(await backend.env());
      const { token } = await signUpTenant(app.client);
      const ws = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      closes = ws.closes;
      disposeWs = () => ws.client.dispose();
      await liveAuditSubscription(app, ws.client, token);

      // A request in flight: headers sent, body held back until shutdown has begun.
      const socket = connect(Number(new URL(app.origin).port), '127.0.0.1');
      socket.on('data', (chunk) => (rawResponses += chunk));
      const socketClosed = new Promise((resolve) => socket.once('close', resolve));
      const body = JSON.stringify({ query: '{ __typename }' });
      socket.write(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
      await until(() => rawResponses.includes('100 Continue'), 'the server to take the request');
      const startedAt = Date.now();
      const stopped = app.stop();
      socket.write(`${body}GET /ready HTTP/1.1\r\nHost: x\r\n\r\n`);
      await Promise.all([stopped, socketClosed]);
      stopMs = Date.now() - startedAt;
    });

    it('closes subscribed graphql-ws sockets with 1001', () => {
      assert.equal(closes[0]?.code, 1001);
    });

    it('lets an in-flight request finish, answers /ready 503 meanwhile, and does not wait for keep-alive', () => {
      assert.match(rawResponses, /HTTP\/1\.1 200 OK[\s\S]*\{"data":\{"__typename":"Query"\}\}/);
      assert.match(rawResponses, /HTTP\/1\.1 503[\s\S]*shutting_down/);
      assert.ok(stopMs < 3000, `stop took ${stopMs} ms`);
    });

    it('refuses connections once stopped', async () => {
      await assert.rejects(fetch(`${app.origin}/health`), (error: Error & { cause?: { code?: string } }) => {
        assert.equal(error.cause?.code, 'ECONNREFUSED');
        return true;
      });
    });
  });
}
