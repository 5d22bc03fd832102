/**
 * A frontend at app.example.com using the API at api.example.com with cookie sessions, in a real
 * browser: the host names resolve to this machine, each server on its own port.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import { startApp, type RunningApp } from './support/app.ts';
import { browserSkipReason, launchBrowser } from './support/browser.ts';
import { PASSWORD, signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';

/** What the frontend's page did, as it reports it. */
type Outcome = {
  signedIn: string | null;
  csrfReadable: boolean;
  meWithoutCsrf: string | null;
  meWithCsrf: string | null;
  subscribed: { type: string } | null;
  failure: string | null;
};

/**
 * The frontend: signs in with cookies, reads the CSRF cookie, asks `me` without and with the
 * header, then follows auditEventCreated over SSE (fetch with credentials, as a browser without
 * a token must) while creating API keys until an event arrives.
 */
const FRONTEND = `<!doctype html><title>app</title><script>
window.run = async (api, email, password) => {
  const outcome = { signedIn: null, csrfReadable: false, meWithoutCsrf: null, meWithCsrf: null, subscribed: null, failure: null };
  const gql = async (query, variables, headers = {}) => {
    const response = await fetch(api + '/graphql', { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
    return response.json();
  };
  const codeOf = (result) => result.errors ? result.errors[0].extensions.code : null;
  try {
    const login = await gql('mutation ($input: LoginInput!) { login(input: $input) { user { email } } }', { input: { email, password } });
    outcome.signedIn = login.data ? login.data.login.user.email : codeOf(login);
    const cookie = document.cookie.split('; ').find((entry) => entry.startsWith('csrf_token='));
    outcome.csrfReadable = !!cookie;
    const csrf = { 'x-csrf-token': cookie ? decodeURIComponent(cookie.slice('csrf_token='.length)) : '' };
    outcome.meWithoutCsrf = codeOf(await gql('{ me { email } }'));
    const me = await gql('{ me { email } }', {}, csrf);
    outcome.meWithCsrf = me.data && me.data.me ? me.data.me.email : codeOf(me);
    if (!outcome.csrfReadable) return outcome;

    const controller = new AbortController();
    const stream = await fetch(api + '/graphql', {
      method: 'POST', credentials: 'include', signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...csrf },
      body: JSON.stringify({ query: 'subscription { auditEventCreated { type } }' }),
    });
    const reader = stream.body.pipeThrough(new TextDecoderStream()).getReader();
    const event = (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return null;
        text += value;
        const line = text.split('\\n').find((each) => each.startsWith('data: {'));
        if (line) return JSON.parse(line.slice('data: '.length));
      }
    })();
    for (let attempt = 0; !outcome.subscribed && attempt < 25; attempt++) {
      await gql('mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }', { input: { name: 'from the app ' + attempt } }, csrf);
      const arrived = await Promise.race([event, new Promise((resolve) => setTimeout(resolve, 200, undefined))]);
      if (arrived !== undefined) outcome.subscribed = arrived && arrived.data ? arrived.data.auditEventCreated : { type: JSON.stringify(arrived) };
    }
    controller.abort();
  } catch (error) {
    outcome.failure = String(error);
  }
  return outcome;
};
</script>`;

function serveFrontend(): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(FRONTEND));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const [backend] = backends();

describe('cookie sessions across subdomains, in a browser', { skip: browserSkipReason() ?? backend!.skip }, () => {
  let browser: Browser;
  let frontend: Server;
  let appOrigin: string;
  const apps: RunningApp[] = [];
  before(async () => {
    [browser, frontend] = await Promise.all([
      launchBrowser(['--host-resolver-rules=MAP app.example.com 127.0.0.1, MAP api.example.com 127.0.0.1']),
      serveFrontend(),
    ]);
    appOrigin = `http://app.example.com:${(frontend.address() as AddressInfo).port}`;
  });
  after(async () => {
    await browser?.close();
    frontend?.close();
    await Promise.all(apps.map((app) => app.stop()));
  });

  /** Starts the API with `env`, signs up an admin, and runs the frontend against it in a fresh browser context. */
  async function signInFromFrontend(env: Record<string, string>): Promise<{ outcome: Outcome; email: string }> {
    const app = await startApp({ ...(await backend!.env()), CORS_ORIGINS: appOrigin, ...env });
    apps.push(app);
    const { email } = await signUpTenant(app.client);
    const api = `http://api.example.com:${new URL(app.origin).port}`;
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      await page.goto(`${appOrigin}/`);
      const outcome = await page.evaluate((apiOrigin, user, password) => (window as unknown as { run(...args: string[]): Promise<Outcome> }).run(apiOrigin, user, password), api, email, PASSWORD);
      return { outcome, email };
    } finally {
      await context.close();
    }
  }

  it('with COOKIE_DOMAIN the frontend reads the CSRF cookie, makes cookie requests, and follows a subscription over SSE', async () => {
    const { outcome, email } = await signInFromFrontend({ COOKIE_DOMAIN: 'example.com' });
    assert.deepEqual(outcome, {
      signedIn: email,
      csrfReadable: true,
      meWithoutCsrf: 'FORBIDDEN',
      meWithCsrf: email,
      subscribed: { type: 'API_KEY_CREATED' },
      failure: null,
    });
  });

  it("without it the CSRF cookie stays the API host's, and the frontend cannot make cookie requests", async () => {
    const { outcome, email } = await signInFromFrontend({});
    assert.deepEqual(outcome, { signedIn: email, csrfReadable: false, meWithoutCsrf: 'FORBIDDEN', meWithCsrf: 'FORBIDDEN', subscribed: null, failure: null });
  });
});
