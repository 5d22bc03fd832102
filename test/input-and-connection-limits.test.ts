import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import { CreateAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { createKey, eventually, signUpTenant } from './support/fixtures.ts';
import { OnLeadChanged } from './support/lead-operations.ts';
import { backends } from './support/services.ts';

const POLICY_VIOLATION = 1008;

/** `{ a: { a: ... { leaf: true } } }`, `depth` objects deep. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
}

for (const backend of backends()) {
  describe(`limits on input and connections (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp({ ...(await backend.env()), WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3', WS_MAX_CONNECTIONS_PER_CREDENTIAL: '2' });
    });
    after(() => app?.stop());

    const connected = async (params: Record<string, unknown>) => {
      const socket = wsClient(app.wsUrl, params);
      await new Promise<void>((resolve, reject) => {
        socket.client.on('connected', () => resolve());
        socket.client.on('closed', (event) => {
          const { code, reason } = event as { code: number; reason: string };
          reject(Object.assign(new Error(`closed with ${code}`), { code, reason }));
        });
      });
      return socket;
    };

    it('refuses a subscription past the per-connection cap with RATE_LIMITED, and accepts one when another ends', async () => {
      const { token } = await signUpTenant(app.client);
      const socket = await connected({ authorization: `Bearer ${token}` });
      const open = [collect(socket.client, OnLeadChanged), collect(socket.client, OnLeadChanged), collect(socket.client, OnLeadChanged)];
      const over = collect(socket.client, OnLeadChanged);
      const refusal = await eventually(() => [over.errors[0]].flat()[0] as { message: string; extensions?: { code?: string } } | undefined, 5000, 'a refusal');
      assert.equal(refusal.extensions?.code, 'RATE_LIMITED');
      assert.match(refusal.message, /at most 3/);
      assert.deepEqual(open.map((subscription) => subscription.errors), [[], [], []]);

      open[0]!.unsubscribe();
      const replacement = collect(socket.client, OnLeadChanged);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(replacement.errors, [], 'a freed place is taken again');
      await socket.client.dispose();
    });

    it('closes a connection past the per-credential cap with 1008, and counts each credential apart', async () => {
      const admin = await signUpTenant(app.client);
      const { key } = await createKey(app.client, admin.token, ['leads:read']);
      const first = await connected({ apiKey: key });
      const second = await connected({ apiKey: key });
      const third = await connected({ apiKey: key }).then(
        () => assert.fail('a third connection was accepted'),
        (error: { code: number; reason: string }) => error,
      );
      assert.equal(third.code, POLICY_VIOLATION);
      assert.match(third.reason, /at most 2/);
      const otherCredential = await connected({ authorization: `Bearer ${admin.token}` });

      await first.client.dispose();
      await eventually(async () => {
        const again = await connected({ apiKey: key }).catch(() => undefined);
        if (again) await again.client.dispose();
        return again ? true : undefined;
      }, 5000, 'a place to free up');
      await Promise.all([second.client.dispose(), otherCredential.client.dispose()]);
    });

    it('refuses variables nested deeper than 64 levels with BAD_USER_INPUT over HTTP and WebSocket, and accepts ordinary nesting', async () => {
      const { token } = await signUpTenant(app.client);
      const input = (config: Record<string, unknown>) => ({ name: 'Deep', webhookUrl: 'http://127.0.0.1:9/hook', config });
      const deep = await app.client.request(CreateAgent, { input: input(nested(3000)) }, { token });
      assert.equal(errorCode(deep), 'BAD_USER_INPUT', JSON.stringify(deep.errors));
      assert.equal(deep.errors![0]!.extensions!.field, 'input.config');
      const fine = await app.client.request(CreateAgent, { input: input(nested(20)) }, { token });
      assert.equal(fine.errors, undefined, JSON.stringify(fine.errors));
      assert.deepEqual(fine.data!.createAgent.config, nested(20));

      const socket = await connected({ authorization: `Bearer ${token}` });
      const overWebSocket = await new Promise<{ extensions?: { code?: string; field?: string } }[]>((resolve) => {
        socket.client.subscribe(
          { query: print(CreateAgent), variables: { input: input(nested(3000)) } },
          { next: () => {}, error: (errors) => resolve(errors as never), complete: () => {} },
        );
      });
      assert.equal(overWebSocket[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(overWebSocket[0]?.extensions?.field, 'input.config');
      await socket.client.dispose();
    });
  });
}
