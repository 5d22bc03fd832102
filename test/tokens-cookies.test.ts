import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { startApp, type RunningApp } from './support/app.ts';
import { collect, errorCode, wsClient, type GraphQLResult } from './support/client.ts';
import { PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { Login, Logout, Me, OnAuditEvent, Refresh } from './support/operations.ts';
import { nowSeconds, refreshingClient } from './support/refreshing-client.ts';
import { backends } from './support/services.ts';

type Cookie = { value: string; attributes: string[] };

/** The Set-Cookie lines of a response, by cookie name. */
function setCookies(result: GraphQLResult<unknown>): Record<string, Cookie> {
  return Object.fromEntries(
    result.headers.getSetCookie().map((line) => {
      const [pair, ...attributes] = line.split('; ');
      const index = pair!.indexOf('=');
      return [pair!.slice(0, index), { value: decodeURIComponent(pair!.slice(index + 1)), attributes }];
    }),
  );
}

const cookieHeader = (cookies: Record<string, Cookie>, ...names: string[]) =>
  names.map((name) => `${name}=${encodeURIComponent(cookies[name]!.value)}`).join('; ');

/** Signs claims the way the app does, with any secret, algorithm and overrides. */
function forge(secret: string, claims: JWTPayload, alg = 'HS256') {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(secret));
}

const allBackends = backends();

for (const backend of allBackends) {
  describe(`access tokens, cookies and login limits (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let env: Record<string, string>;
    before(async () => {
      env = await backend.env();
      app = await startApp(env);
    });
    after(() => app?.stop());

    /** The claims of a real access token, to forge variations of. */
    async function realClaims() {
      const { token, email } = await signUpTenant(app.client);
      return { claims: decodeJwt(token), email };
    }

    const meWith = (token: string) => app.client.request(Me, {}, { token });

    it('accepts a token forged with the app secret and the real claims (so refusals below are about one flaw)', async () => {
      const { claims, email } = await realClaims();
      const token = await forge(app.config.jwtSecret, { ...claims, jti: randomUUID() });
      assert.equal((await app.client.data(Me, {}, { token })).me.email, email);
    });

    it('refuses an expired access token with "Access token expired"', async () => {
      const { claims } = await realClaims();
      const result = await meWith(await forge(app.config.jwtSecret, { ...claims, iat: nowSeconds() - 120, exp: nowSeconds() - 60 }));
      assert.equal(errorCode(result), 'UNAUTHENTICATED');
      assert.equal(result.errors![0]!.message, 'Access token expired');
      assert.equal(result.data, null);
    });

    it('refuses tokens signed with another secret, another algorithm, or none', async () => {
      const { claims } = await realClaims();
      const tokens = {
        otherSecret: await forge('another-secret-that-is-long-enough-for-hs256!!', claims),
        hs512: await forge(app.config.jwtSecret, claims, 'HS512'),
        none: new UnsecuredJWT(claims).encode(),
      };
      for (const [kind, token] of Object.entries(tokens)) {
        const result = await meWith(token);
        assert.equal(errorCode(result), 'UNAUTHENTICATED', kind);
        assert.equal(result.errors![0]!.message, 'Invalid access token', kind);
      }
    });

    it('refuses a correctly signed token of the wrong type, issuer or audience', async () => {
      const { claims } = await realClaims();
      for (const override of [{ type: 'refresh' }, { iss: 'someone-else' }, { aud: 'convo-graph:admin' }, { role: 'ROOT' }]) {
        const result = await meWith(await forge(app.config.jwtSecret, { ...claims, ...override }));
        assert.equal(errorCode(result), 'UNAUTHENTICATED', JSON.stringify(override));
      }
    });

    it('refuses a refresh token presented as a Bearer access token', async () => {
      const { refreshToken } = await signUpTenant(app.client);
      assert.match(refreshToken, /^rt_/);
      const result = await meWith(refreshToken);
      assert.equal(errorCode(result), 'UNAUTHENTICATED');
      assert.equal(result.data, null);
    });

    it('login sets httpOnly SameSite=Strict token cookies and a readable csrf_token cookie, not Secure outside production', async () => {
      const { email } = await signUpTenant(app.client);
      const login = await app.client.request(Login, { input: { email, password: PASSWORD } });
      const cookies = setCookies(login);
      assert.equal(cookies.access_token?.value, login.data!.login.accessToken);
      assert.equal(cookies.refresh_token?.value, login.data!.login.refreshToken);
      for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
        const { attributes } = cookies[name]!;
        assert.ok(attributes.includes('SameSite=Strict'), name);
        assert.equal(attributes.includes('HttpOnly'), name !== 'csrf_token', name);
        assert.ok(!attributes.includes('Secure'), name);
      }
      const maxAge = (name: string) => Number(cookies[name]!.attributes.find((a) => a.startsWith('Max-Age='))?.slice(8));
      assert.ok(Math.abs(maxAge('access_token') - app.config.accessTokenTtlSeconds) <= 2, String(maxAge('access_token')));
      assert.ok(Math.abs(maxAge('refresh_token') - app.config.refreshTokenTtlDays * 86_400) <= 2, String(maxAge('refresh_token')));
      assert.ok(cookies.refresh_token!.attributes.includes('Path=/graphql'));
      assert.ok(cookies.csrf_token!.value.length >= 24);
    });

    it('answers a cookie request only when x-csrf-token equals the csrf_token cookie', async () => {
      const { email } = await signUpTenant(app.client);
      const cookies = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      const cookie = cookieHeader(cookies, 'access_token', 'csrf_token');
      const ok = await app.client.request(Me, {}, { headers: { cookie, 'x-csrf-token': cookies.csrf_token!.value } });
      assert.equal(ok.data?.me.email, email);
      for (const csrf of [undefined, 'wrong', `${cookies.csrf_token!.value}x`]) {
        const refused = await app.client.request(Me, {}, { headers: { cookie, ...(csrf ? { 'x-csrf-token': csrf } : {}) } });
        assert.equal(errorCode(refused), 'FORBIDDEN', String(csrf));
        assert.equal(refused.data, null);
      }
    });

    it('refuses a CSRF value planted in the cookie, however well it matches the header, for the access and the refresh cookie', async () => {
      const { email } = await signUpTenant(app.client);
      const cookies = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      const planted = 'chosen-by-someone-who-can-set-cookies';
      const withPlanted = (name: string) => `${name}=${cookies[name]!.value}; csrf_token=${planted}`;
      const me = await app.client.request(Me, {}, { headers: { cookie: withPlanted('access_token'), 'x-csrf-token': planted } });
      assert.equal(errorCode(me), 'FORBIDDEN');
      const refresh = await app.client.request(Refresh, {}, { headers: { cookie: withPlanted('refresh_token'), 'x-csrf-token': planted } });
      assert.equal(errorCode(refresh), 'FORBIDDEN');
      const otherSession = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      const borrowed = otherSession.csrf_token!.value;
      const crossed = await app.client.request(Me, {}, {
        headers: { cookie: `access_token=${cookies.access_token!.value}; csrf_token=${borrowed}`, 'x-csrf-token': borrowed },
      });
      assert.equal(errorCode(crossed), 'FORBIDDEN', "another session's CSRF token does not do");
      const genuine = await app.client.request(Refresh, {}, {
        headers: { cookie: cookieHeader(cookies, 'refresh_token', 'csrf_token'), 'x-csrf-token': cookies.csrf_token!.value },
      });
      assert.equal(genuine.errors, undefined, 'the refused attempts used nothing up');
    });

    it('refresh without an argument uses the refresh cookie, needs the CSRF header, and sets new cookies', async () => {
      const { email } = await signUpTenant(app.client);
      const first = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      const cookie = cookieHeader(first, 'refresh_token', 'csrf_token');
      const refused = await app.client.request(Refresh, {}, { headers: { cookie } });
      assert.equal(errorCode(refused), 'FORBIDDEN');

      const refreshed = await app.client.request(Refresh, {}, { headers: { cookie, 'x-csrf-token': first.csrf_token!.value } });
      assert.equal(refreshed.errors, undefined, 'the refused attempt must not have used the refresh token');
      const second = setCookies(refreshed);
      assert.equal(second.refresh_token?.value, refreshed.data!.refresh.refreshToken);
      assert.notEqual(second.refresh_token?.value, first.refresh_token!.value);
      assert.equal(second.csrf_token?.value, first.csrf_token!.value, 'the CSRF token belongs to the session, which refreshing keeps');
      const otherSession = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      assert.notEqual(otherSession.csrf_token?.value, first.csrf_token!.value, 'another session has another CSRF token');
      const me = await app.client.request(Me, {}, {
        headers: { cookie: cookieHeader(second, 'access_token', 'csrf_token'), 'x-csrf-token': second.csrf_token!.value },
      });
      assert.equal(me.data?.me.email, email);
    });

    it('logout clears the three cookies with Max-Age=0 and ends the cookie session', async () => {
      const { email } = await signUpTenant(app.client);
      const cookies = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
      const headers = {
        cookie: cookieHeader(cookies, 'access_token', 'refresh_token', 'csrf_token'),
        'x-csrf-token': cookies.csrf_token!.value,
      };
      const logout = await app.client.request(Logout, {}, { headers });
      assert.equal(logout.data?.logout, true);
      const cleared = setCookies(logout);
      for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
        assert.equal(cleared[name]?.value, '', name);
        assert.ok(cleared[name]!.attributes.includes('Max-Age=0'), name);
      }
      assert.equal(errorCode(await app.client.request(Refresh, {}, { headers })), 'UNAUTHENTICATED');
    });

    it('answers RATE_LIMITED with retryAfterSeconds after 5 wrong passwords, even to the right one, per email', async () => {
      const { email } = await signUpTenant(app.client);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const wrong = await app.client.request(Login, { input: { email, password: 'wrong password!' } });
        assert.equal(errorCode(wrong), 'UNAUTHENTICATED', `attempt ${attempt}`);
      }
      const limited = await app.client.request(Login, { input: { email, password: PASSWORD } });
      assert.equal(errorCode(limited), 'RATE_LIMITED');
      assert.equal(limited.data, null);
      const retryAfter = limited.errors![0]!.extensions!.retryAfterSeconds;
      assert.ok(typeof retryAfter === 'number' && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));

      const other = await signUpTenant(app.client);
      assert.equal((await app.client.data(Login, { input: { email: other.email, password: PASSWORD } })).login.user.email, other.email);
    });

    it('does not let concurrent guesses or a spoofed X-Forwarded-For get past the login limit', async () => {
      const { email } = await signUpTenant(app.client);
      const guesses = await Promise.all(
        Array.from({ length: 12 }, (_, i) => app.client.request(Login, { input: { email, password: `wrong password ${i}` } })),
      );
      const codes = guesses.map(errorCode);
      assert.equal(codes.filter((code) => code === 'UNAUTHENTICATED').length, 5, codes.join());
      assert.equal(codes.filter((code) => code === 'RATE_LIMITED').length, 7, codes.join());
      const spoofed = await app.client.request(Login, { input: { email, password: PASSWORD } }, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal(errorCode(spoofed), 'RATE_LIMITED');
    });

    if (backend.name === 'postgres+redis') {
      it('shares the login failure count between instances on the same Redis', async () => {
        const second = await startApp(env);
        try {
          const { email } = await signUpTenant(app.client);
          const fail = async (instance: RunningApp) =>
            assert.equal(errorCode(await instance.client.request(Login, { input: { email, password: 'wrong password!' } })), 'UNAUTHENTICATED');
          for (let i = 0; i < 3; i++) await fail(app);
          for (let i = 0; i < 2; i++) await fail(second);
          for (const instance of [app, second]) {
            assert.equal(errorCode(await instance.client.request(Login, { input: { email, password: PASSWORD } })), 'RATE_LIMITED');
          }
        } finally {
          await second.stop();
        }
      });
    }

    it('closes a WebSocket with 4403, which clients retry, when its access token expires', async () => {
      const { claims } = await realClaims();
      const expiresAt = nowSeconds() + 3;
      const token = await forge(app.config.jwtSecret, { ...claims, jti: randomUUID(), exp: expiresAt });
      const { client, closes } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      try {
        const subscription = collect(client, OnAuditEvent);
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(closes.length, 0, 'the token was valid when the socket connected');
        assert.deepEqual(subscription.errors, []);
        const deadline = Date.now() + 6000;
        while (closes.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(closes[0]?.code, 4403);
        assert.match(closes[0]!.reason, /expired/i);
        assert.ok(Date.now() >= expiresAt * 1000 - 50, 'closed before the token expired');
      } finally {
        await client.dispose();
      }
    });

    it('keeps a subscription of the stock graphql-ws client across token expiries when connectionParams refreshes the token', async () => {
      const { claims, email } = await realClaims();
      // The README's recipe: connectionParams as an async function that answers a fresh token, and retries.
      const { client, closes, issued } = refreshingClient(app, claims, { lifetimeSeconds: () => 2, retryWaitMs: 100 });
      try {
        const subscription = collect(client, OnAuditEvent);
        const signIns = () => subscription.events.filter((event) => event.auditEventCreated.type === 'LOGIN_SUCCEEDED').length;
        await triggerUntilReceived(() => app.client.data(Login, { input: { email, password: PASSWORD } }), () => (signIns() > 0 ? true : undefined));
        const deadline = Date.now() + 15_000;
        const expiredTwice = () => closes.filter((code) => code === 4403).length >= 2 && issued.length >= 3;
        while (!expiredTwice() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(closes.filter((code) => code === 4403).length >= 2, `closes: ${closes.join(', ')}`);
        assert.ok(issued.length >= 3, `connectionParams was asked again at each reconnect: ${issued.length} tokens, closes ${closes.join(', ')}`);
        const before = signIns();
        await triggerUntilReceived(() => app.client.data(Login, { input: { email, password: PASSWORD } }), () => (signIns() > before ? true : undefined));
        assert.deepEqual(subscription.errors, []);
        assert.equal(subscription.completed, false, 'the subscription is still running');
      } finally {
        await client.dispose();
      }
    });
  });
}

describe('cookies in production', () => {
  let app: RunningApp;
  before(async () => {
    const embedded = allBackends.find((backend) => backend.name === 'embedded')!;
    app = await startApp({ ...(await embedded.env()), NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(48) });
  });
  after(() => app?.stop());

  it('marks every session cookie Secure', async () => {
    assert.equal(app.config.jwtSecret, 'p'.repeat(48));
    const { email } = await signUpTenant(app.client);
    const cookies = setCookies(await app.client.request(Login, { input: { email, password: PASSWORD } }));
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      assert.ok(cookies[name]?.attributes.includes('Secure'), name);
      assert.ok(cookies[name]!.attributes.includes('SameSite=Strict'), name);
    }
  });
});
