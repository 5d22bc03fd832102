/**
 * The website chat widget as a visitor meets it: a shop's page embeds `/widget.js`, which frames
 * this server's widget page; in a real browser.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser, Frame, Page } from 'puppeteer-core';
import { CreateModelAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { browserSkipReason, launchBrowser } from './support/browser.ts';
import { freePort } from './support/child-process.ts';
import { startChatCompletionsStandin, type ChatCompletionsStandin } from './support/chat-completions-standin.ts';
import { assertCode } from './support/client.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';
import { UpdateSession } from './support/session-operations.ts';
import { websiteSession } from './support/widget-operations.ts';

const SCREENSHOTS = process.env.SCREENSHOT_DIR;

/** A shop's page on http://localhost:<port>, embedding the widget with the snippet the README shows. */
async function startShop(snippet: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Corner Shop</title></head><body style="font:16px system-ui;margin:40px">
      <h1>Corner Shop</h1><p>Fresh bread every morning.</p>${snippet()}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
}

for (const backend of backends()) {
  describe(`the website widget, in a browser (${backend.name})`, { skip: browserSkipReason() ?? backend.skip, timeout: 90_000 }, () => {
    let app: RunningApp;
    let provider: ChatCompletionsStandin;
    let browser: Browser;
    let shop: { server: Server; origin: string };
    let elsewhere: { server: Server; origin: string };
    let snippet = '';
    before(async () => {
      const port = await freePort();
      [app, provider, browser, shop, elsewhere] = await Promise.all([
        // The widget page calls from this server's own origin, which PUBLIC_URL names.
        backend.env().then((env) => startApp({ ...env, PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` })),
        startChatCompletionsStandin(),
        launchBrowser(),
        startShop(() => snippet),
        startShop(() => snippet),
      ]);
    });
    after(async () => {
      await browser?.close();
      await Promise.all([app?.stop(), provider?.close(), ...[shop, elsewhere].map((site) => site && new Promise((resolve) => site.server.close(resolve)))]);
    });

    const widgetFrame = (page: Page) =>
      eventually(() => page.frames().find((frame) => frame.url().includes('/widget/')), 10_000, 'the widget frame');
    const bubbles = (frame: Frame) => frame.$$eval('#messages li', (items) => items.map((item) => [item.className, item.textContent]));

    it('a page on an allowed origin embeds the widget; a visitor writes and sees the auto-reply arrive live', async () => {
      const admin = await signUpTenant(app.client, 'Corner Shop');
      const input = { name: 'Shop model', kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model: 'slow' };
      const agent = (await app.client.data(CreateModelAgent, { input }, { token: admin.token })).createAgent;
      const site = await websiteSession(app, admin.token, { mode: 'AGENT', agentId: agent.id }, [shop.origin]);
      snippet = `<script src="${app.origin}/widget.js" data-session="${site.sessionId}" data-key="${site.publishableKey}" data-open="true" async></script>`;

      const page = await browser.newPage();
      await page.setViewport({ width: 900, height: 700 });
      try {
        await page.goto(shop.origin);
        const frame = await widgetFrame(page);
        await frame.waitForSelector('#composer input');
        await frame.type('#composer input', 'Do you bake on Sundays?');
        await frame.click('#composer button');
        await frame.waitForSelector('#messages li.mine');
        assert.deepEqual(await bubbles(frame), [['mine', 'Do you bake on Sundays?']], 'sent at once, the reply not there yet');
        await frame.waitForSelector('#messages li.theirs', { timeout: 15_000 });
        assert.deepEqual(await bubbles(frame), [
          ['mine', 'Do you bake on Sundays?'],
          ['theirs', 'You said: Do you bake on Sundays?'],
        ]);
        assert.equal(await frame.$eval('body', (body) => body.dataset.live), 'sse', 'the reply came through the visitorReplies stream');
        if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/website-widget.png` });

        await page.reload();
        const again = await widgetFrame(page);
        await again.waitForSelector('#messages li.theirs');
        assert.equal((await bubbles(again)).length, 2, 'the visitor id is kept: the conversation comes back');
      } finally {
        await page.close();
      }
    });

    it('opened on its own (the QR code link), polls for replies when its stream cannot open', async () => {
      const admin = await signUpTenant(app.client, 'Kiosk Shop');
      const input = { name: 'Kiosk model', kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model: 'slow' };
      const agent = (await app.client.data(CreateModelAgent, { input }, { token: admin.token })).createAgent;
      const site = await websiteSession(app, admin.token, { mode: 'AGENT', agentId: agent.id }, [shop.origin]);
      const page = await browser.newPage();
      // A proxy that buffers event streams, as some do: the stream never opens.
      await page.setRequestInterception(true);
      page.on('request', (request) => void (request.headers().accept === 'text/event-stream' ? request.abort() : request.continue()));
      try {
        await page.goto(`${app.origin}/widget/${site.sessionId}?key=${encodeURIComponent(site.publishableKey)}`);
        await page.waitForFunction(() => document.body.dataset.live === 'polling');
        await page.type('#composer input', 'Open on Sunday?');
        await page.click('#composer button');
        await page.waitForSelector('#messages li.theirs', { timeout: 15_000 });
        assert.deepEqual(await bubbles(page.mainFrame()), [
          ['mine', 'Open on Sunday?'],
          ['theirs', 'You said: Open on Sunday?'],
        ]);
        assert.equal(await page.$eval('#status', (status) => (status as HTMLElement).hidden), true, 'no error shown for the fallback');
      } finally {
        await page.close();
      }
    });

    it('a page on another origin is refused: the browser will not frame the widget, and its calls are FORBIDDEN', async () => {
      const admin = await signUpTenant(app.client, 'Careful Shop');
      const site = await websiteSession(app, admin.token, { mode: 'TEXT', text: 'Hello!' }, [shop.origin]);
      snippet = `<script src="${app.origin}/widget.js" data-session="${site.sessionId}" data-key="${site.publishableKey}" data-open="true"></script>`;
      const page = await browser.newPage();
      try {
        const served = page.waitForResponse((response) => response.url().includes('/widget/'));
        await page.goto(elsewhere.origin);
        assert.equal((await served).status(), 200, 'the server sent the page; the browser is what refuses it here');
        const frame = await eventually(() => page.mainFrame().childFrames()[0], 10_000, 'the frame the snippet added');
        // Chromium shows its error page in place of a page whose frame-ancestors exclude this one.
        await eventually(() => (frame.url().startsWith('chrome-error:') ? true : undefined), 10_000, 'the browser to refuse the frame');
        assert.equal(await frame.$('#composer'), null, 'no widget in the frame');

        const response = await page.evaluate(
          async (url, variables) => {
            const query = 'mutation ($input: VisitorMessageInput!) { visitorMessage(input: $input) { message { id } } }';
            const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
            return answer.json();
          },
          `${app.origin}/graphql`,
          { input: { sessionId: site.sessionId, publishableKey: site.publishableKey, visitorId: 'visitor-from-elsewhere-0001', text: 'hi' } },
        );
        assert.equal(response.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      } finally {
        await page.close();
      }
      const sessionMessages = await app.prisma().channelMessage.count({ where: { sessionId: site.sessionId } });
      assert.equal(sessionMessages, 0, 'nothing was stored');
    });

    it('serves no page for an unknown session or a wrong key, and frames only for allowed origins', async () => {
      const admin = await signUpTenant(app.client, 'Third Shop');
      const site = await websiteSession(app, admin.token, { mode: 'OFF' }, [shop.origin]);
      const page = (key: string, id = site.sessionId) => fetch(`${app.origin}/widget/${id}?key=${encodeURIComponent(key)}`);
      const good = await page(site.publishableKey);
      assert.equal(good.status, 200);
      const csp = good.headers.get('content-security-policy') ?? '';
      assert.match(csp, new RegExp(`frame-ancestors 'self' ${shop.origin}$`));
      assert.match(csp, /script-src 'nonce-[^']+'/);
      assert.equal((await page('pk_wrong')).status, 404);
      assert.equal((await page(site.publishableKey, '00000000-0000-7000-8000-000000000000')).status, 404);
      const loader = await fetch(`${app.origin}/widget.js`);
      assert.equal(loader.status, 200);
      assert.match(loader.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.equal((await fetch(`${app.origin}/widget.js`, { headers: { 'if-none-match': loader.headers.get('etag')! } })).status, 304);

      const stranger = await signUpTenant(app.client, 'Stranger');
      assertCode(await app.client.request(UpdateSession, { id: site.sessionId, input: { allowedOrigins: ['http://localhost:1'] } }, { token: stranger.token }), 'NOT_FOUND');
      assertCode(await app.client.request(UpdateSession, { id: site.sessionId, input: { allowedOrigins: ['http://shop.example'] } }, { token: admin.token }), 'BAD_USER_INPUT', 'allowedOrigins.0');
    });
  });
}
