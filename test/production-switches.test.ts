import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, wsClient } from './support/client.ts';
import { signUpTenant } from './support/fixtures.ts';
import { CreateSession, UpdateSession } from './support/session-operations.ts';
import { backends } from './support/services.ts';

type GraphQLAnswer = { status: number; text: string; data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };

async function post(app: RunningApp, body: string): Promise<GraphQLAnswer> {
  const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  return { status: response.status, text, ...(JSON.parse(text) as object) };
}
const query = (app: RunningApp, document: string, variables?: Record<string, unknown>) => post(app, JSON.stringify({ query: document, variables }));

const INTROSPECTION = '{ __schema { queryType { name } } }';
const TYPE_LOOKUP = '{ __type(name: "Tenant") { fields { name } } }';
const MISSPELT_FIELD = '{ tenat { id } }';
const MISSPELT_ENUM = 'query ($interval: AnalyticsInterval!) { analyticsTimeseries(interval: $interval) { __typename } }';
const MALFORMED = ['{"query": "{ __typ', '[1,', '{"query": }'];

const production = (env: Record<string, string>) => ({ ...env, NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('base64url') });

function assertNoSuggestion(answer: GraphQLAnswer) {
  assert.ok(answer.errors?.length, answer.text);
  assert.ok(!answer.text.includes('Did you mean'), answer.text);
}

for (const backend of backends()) {
  describe(`production switches (${backend.name})`, { skip: backend.skip }, () => {
    let productionApp: RunningApp;
    let developmentApp: RunningApp;
    let exploringApp: RunningApp;
    before(async () => {
      [productionApp, developmentApp, exploringApp] = await Promise.all([
        backend.env().then((env) => startApp(production(env), { captureLogs: true })),
        backend.env().then((env) => startApp(env)),
        backend.env().then((env) => startApp(production({ ...env, GRAPHQL_INTROSPECTION: 'true', PUBLIC_URL: 'https://api.example.com' }), { captureLogs: true })),
      ]);
    });
    after(() => Promise.all([productionApp?.stop(), developmentApp?.stop(), exploringApp?.stop()]));

    it('allows http://localhost widget origins outside production only', async () => {
      const localhost = 'http://localhost:5173';
      for (const [running, allowed] of [[developmentApp, true], [productionApp, false]] as const) {
        const admin = await signUpTenant(running.client);
        const { createSession } = await running.client.data(CreateSession, { input: { name: 'Website', channel: 'WEBSITE' } }, { token: admin.token });
        const answer = await running.client.request(UpdateSession, { id: createSession.session.id, input: { allowedOrigins: [localhost] } }, { token: admin.token });
        if (allowed) assert.deepEqual(answer.data?.updateSession.allowedOrigins, [localhost]);
        else assertCode(answer, 'BAD_USER_INPUT', 'allowedOrigins');
      }
    });

    it('refuses introspection in production as a validation error, and still answers __typename and queries', async () => {
      for (const document of [INTROSPECTION, TYPE_LOOKUP]) {
        const refused = await query(productionApp, document);
        assert.equal(refused.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED', refused.text);
        assert.equal(refused.data, undefined);
      }
      assert.deepEqual((await query(productionApp, '{ __typename }')).data, { __typename: 'Query' });
      assert.equal((await query(productionApp, '{ me { id } }')).errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    });

    it('refuses introspection over graphql-ws too, and answers it there outside production', async () => {
      const overWebSocket = async (app: RunningApp) => {
        const { client } = wsClient(app.wsUrl);
        try {
          return await new Promise<{ data?: unknown; errors?: readonly unknown[] }>((resolve) => {
            let result: { data?: unknown; errors?: readonly unknown[] } = {};
            client.subscribe(
              { query: INTROSPECTION },
              { next: (value) => (result = value), error: (errors) => resolve({ errors: errors as unknown[] }), complete: () => resolve(result) },
            );
          });
        } finally {
          await client.dispose();
        }
      };
      const refused = await overWebSocket(productionApp);
      assert.equal(refused.data, undefined);
      assert.equal((refused.errors?.[0] as { extensions?: { code?: string } }).extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.deepEqual((await overWebSocket(developmentApp)).data, { __schema: { queryType: { name: 'Query' } } });
    });

    it('answers introspection in production when GRAPHQL_INTROSPECTION=true, and by default outside production', async () => {
      for (const app of [exploringApp, developmentApp]) {
        assert.deepEqual((await query(app, INTROSPECTION)).data, { __schema: { queryType: { name: 'Query' } } });
        const fields = ((await query(app, TYPE_LOOKUP)).data as { __type: { fields: { name: string }[] } }).__type.fields;
        assert.ok(fields.some((field) => field.name === 'name'));
      }
    });

    it('leaves "Did you mean" out of validation and variable errors in production, and keeps it outside', async () => {
      const suggested = await query(developmentApp, MISSPELT_FIELD);
      assert.match(suggested.errors![0]!.message, /Did you mean "tenant"/);
      const hidden = await query(productionApp, MISSPELT_FIELD);
      assertNoSuggestion(hidden);
      assert.equal(hidden.errors![0]!.message, 'Cannot query field "tenat" on type "Query".');
      assert.equal(hidden.errors![0]!.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');

      const enumValue = { interval: 'WEEKS' };
      assert.match((await query(developmentApp, MISSPELT_ENUM, enumValue)).errors![0]!.message, /Did you mean the enum value "WEEK"\?/);
      const hiddenEnum = await query(productionApp, MISSPELT_ENUM, enumValue);
      assertNoSuggestion(hiddenEnum);
      assert.match(hiddenEnum.errors![0]!.message, /Value "WEEKS" does not exist in "AnalyticsInterval" enum\.$/);
    });

    it('answers a malformed JSON body with one generic BAD_REQUEST, in production and outside', async () => {
      for (const app of [productionApp, developmentApp]) {
        for (const body of MALFORMED) {
          const answer = await post(app, body);
          assert.equal(answer.status, 400, answer.text);
          assert.deepEqual(answer.errors, [{ message: 'The request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }]);
        }
        assert.deepEqual((await post(app, '{"query": "{ __typename }"}')).data, { __typename: 'Query' });
      }
    });

    it('warns once at start about risky production settings, naming each, and not about safe ones', () => {
      const risky = productionApp.logs.filter((line) => String(line.msg).startsWith('risky settings'));
      assert.equal(risky.length, 1);
      assert.deepEqual(
        (risky[0]!.risks as string[]).map((risk) => risk.split(' ')[0]),
        ['ALLOW_PRIVATE_URLS', 'PUBLIC_URL'],
      );
      const exploring = exploringApp.logs.filter((line) => String(line.msg).startsWith('risky settings'));
      assert.deepEqual(exploring.map((line) => line.risks), [
        ['GRAPHQL_INTROSPECTION is on: the whole schema is public', 'ALLOW_PRIVATE_URLS lets user-given URLs reach private addresses (127.0.0.1, ::1, localhost)'],
      ]);
    });
  });
}
