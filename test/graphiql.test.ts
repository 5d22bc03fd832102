import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { seedDemo, DEMO, type DemoSeed } from '../src/seed/demo-tenant.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { browserSkipReason, launchBrowser, watchOutsideRequests } from './support/browser.ts';
import { ChatMessages } from './support/chat-operations.ts';
import { freePort } from './support/child-process.ts';
import { createKey, triggerUntilReceived } from './support/fixtures.ts';
import { openGraphiQL, openTab, resultText, run, typeHeaders, typeQuery, waitForResult } from './support/graphiql-page.ts';
import { Login } from './support/operations.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

type Result = { data?: Record<string, any> | null; errors?: unknown[] };
const dataOf = (result: unknown) => (result as Result).data ?? undefined;

describe('GraphiQL in a browser, with nothing from the internet', { skip: browserSkipReason() }, () => {
  let dataDir: string;
  let app: RunningApp;
  let seed: DemoSeed;
  let browser: Browser;
  let page: Page;
  let outside: string[];
  before(async () => {
    dataDir = await tempDir('graphiql');
    const port = await freePort();
    // The demo agent is this server; only its own URL may be reached on loopback, as in the README.
    const env = { DATA_DIR: dataDir, PORT: String(port), ALLOW_PRIVATE_URLS: '' };
    const logger = createLogger('silent');
    seed = await seedDemo(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...env }), { port, logger });
    [app, browser] = await Promise.all([startApp(env), launchBrowser()]);
    // One page, as a person keeps one GraphiQL open: the cases below each work in a tab of their own.
    page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 900 });
    outside = watchOutsideRequests(page, app.origin);
    // The README tour's first step, in the editor from the start.
    const login = `mutation { login(input: { email: "${DEMO.email}", password: "${DEMO.defaultPassword}", tenantSlug: "${DEMO.tenantSlug}" }) { accessToken } }`;
    await openGraphiQL(page, app.origin, login);
  });
  after(async () => {
    await browser?.close();
    await app?.stop();
    await removeTempDir(dataDir);
  });

  it('runs the README tour: signs in, sends a message, and follows messageStream to DONE in a second GraphiQL tab', async () => {
    await run(page);
    // A token is longer than the pane is wide: its wrapped parts show with an indent.
    const token = (await waitForResult(page, (result) => dataOf(result)?.login?.accessToken as string | undefined)).replace(/\s+/g, '');
    await typeHeaders(page, { Authorization: `Bearer ${token}` });
    await typeQuery(page, `mutation { sendMessage(input: { chatId: "${seed.chat.id}", content: "Hello, agent!" }) { assistantMessage { id status } } }`);
    await run(page);
    const assistant = await waitForResult(page, (result) => dataOf(result)?.sendMessage?.assistantMessage as { id: string; status: string } | undefined);
    assert.equal(assistant.status, 'STREAMING');

    await openTab(page);
    await typeQuery(page, `subscription { messageStream(messageId: "${assistant.id}") { seq type delta status message { content } } }`);
    await typeHeaders(page, { Authorization: `Bearer ${token}` });
    await run(page);
    const done = await waitForResult(
      page,
      (result) => {
        const event = dataOf(result)?.messageStream as { type: string; status: string; message: { content: string } } | undefined;
        return event?.type === 'DONE' ? event : undefined;
      },
      30_000,
    );
    if (process.env.GRAPHIQL_SCREENSHOT) await page.screenshot({ path: process.env.GRAPHIQL_SCREENSHOT });

    const { chat } = await app.client.data(ChatMessages, { id: seed.chat.id, last: 1 }, { token });
    const stored = chat!.messages.edges.at(-1)!.node;
    assert.equal(stored.id, assistant.id);
    assert.equal(stored.status, 'COMPLETED');
    assert.match(stored.content, /Hello, agent!/);
    assert.equal(done.status, 'COMPLETED');
    // The pane wraps the long reply for display and indents the wrapped parts.
    const compact = (text: string) => text.replace(/\s+/g, '');
    assert.equal(compact(done.message.content), compact(stored.content));
    assert.deepEqual(outside, [], 'no request left the machine');
  });

  it('follows auditEventCreated with an X-API-Key header', async () => {
    const { login } = await app.client.data(Login, { input: { email: DEMO.email, password: DEMO.defaultPassword, tenantSlug: DEMO.tenantSlug } });
    const { key } = await createKey(app.client, login.accessToken, ['audit:read']);
    await openTab(page);
    await typeQuery(page, 'subscription { auditEventCreated { type actor { id } } }');
    await typeHeaders(page, { 'X-API-Key': key });
    await run(page);
    const heard = await triggerUntilReceived(
      () => app.client.data(Login, { input: { email: DEMO.email, password: DEMO.defaultPassword, tenantSlug: DEMO.tenantSlug } }),
      () => resultText(page).then((text) => (text.includes('LOGIN_SUCCEEDED') ? text : undefined)),
    );
    assert.ok(heard?.replace(/\s+/g, '').includes(login.user.id), heard);
    assert.deepEqual(outside, [], 'no request left the machine');
  });
});
