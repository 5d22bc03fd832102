/**
 * An invitation as its invitee meets it: a mail with a link, and the page behind the link, in a
 * real browser.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { startApp, type RunningApp } from './support/app.ts';
import { browserSkipReason, launchBrowser } from './support/browser.ts';
import { freePort } from './support/child-process.ts';
import { signUpTenant } from './support/fixtures.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { Invitations, InviteUser } from './support/team-operations.ts';

const SCREENSHOTS = process.env.SCREENSHOT_DIR;

for (const backend of backends()) {
  describe(`the invitation mail and page, in a browser (${backend.name})`, { skip: browserSkipReason() ?? backend.skip }, () => {
    let app: RunningApp;
    let smtp: SmtpSink;
    let browser: Browser;
    before(async () => {
      const port = await freePort();
      [smtp, browser] = await Promise.all([startSmtpSink(), launchBrowser()]);
      // The links mailed must open here: PUBLIC_URL is this server.
      app = await startApp({ ...(await backend.env()), PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}`, SMTP_URL: smtp.url });
    });
    after(async () => {
      await browser?.close();
      await app?.stop();
      await smtp?.close();
    });

    const textOf = (page: Page) => page.evaluate(() => document.body.innerText);
    const submit = async (page: Page, fullName: string, password: string) => {
      await page.type('#fullName', fullName);
      await page.type('#password', password);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    };

    it('mails the invitee a link whose page lets them join with a password of their own, once', async () => {
      const admin = await signUpTenant(app.client, 'Harbour Crew');
      const email = `invitee-${randomUUID().slice(0, 8)}@example.com`;
      const { inviteUser } = await app.client.data(InviteUser, { input: { email, role: 'USER' } }, { token: admin.token });
      assert.equal(inviteUser.mailed, true);

      await smtp.waitFor(1);
      const mail = await (async () => {
        for (let tries = 0; tries < 100 && smtp.to(email).length === 0; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        return smtp.to(email)[0];
      })();
      assert.ok(mail, 'the invitation was mailed');
      assert.equal(mail.subject, 'Join Harbour Crew');
      assert.ok(mail.text.includes(inviteUser.acceptUrl), mail.text);
      assert.ok(mail.html.includes(`href="${inviteUser.acceptUrl.replaceAll('&', '&amp;')}"`), mail.html);

      const page = await browser.newPage();
      try {
        const response = await page.goto(inviteUser.acceptUrl);
        assert.equal(response?.status(), 200);
        const invitationText = await textOf(page);
        assert.match(invitationText, /Join Harbour Crew/);
        assert.ok(invitationText.includes(email), invitationText);
        if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/invitation-form.png` });

        // Long enough for the browser's own check, refused by the server's.
        await submit(page, 'Ivy Invitee', 'aaaaaaaaaaaa');
        assert.match(await textOf(page), /password: must not be one character repeated/);
        assert.equal((await app.client.data(Invitations, {}, { token: admin.token })).invitations[0]?.status, 'PENDING');

        await page.$eval('#fullName', (input) => ((input as HTMLInputElement).value = ''));
        await submit(page, 'Ivy Invitee', 'harbour lights at dusk');
        const welcome = await textOf(page);
        assert.match(welcome, /Welcome to Harbour Crew/);
        if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}/invitation-joined.png` });

        const { login } = await app.client.data(Login, { input: { email, password: 'harbour lights at dusk' } });
        assert.equal(login.user.tenant.id, admin.tenant.id);
        const again = await page.goto(inviteUser.acceptUrl);
        assert.equal(again?.status(), 404);
        assert.match(await textOf(page), /invalid, used, revoked or expired/);
      } finally {
        await page.close();
      }
    });
  });
}
