import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { errorCode } from './support/client.ts';
import { PASSWORD } from './support/fixtures.ts';
import { CreateUser, Login, Me, SignUp, VerifyEmail } from './support/operations.ts';
import { backends } from './support/services.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

/** Requests as if from `address`: the apps below trust X-Forwarded-For, as behind a proxy. */
const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });
const uniqueEmail = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;

for (const backend of backends()) {
  describe(`abuse limits on sign-up and sign-in (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let second: RunningApp;
    before(async () => {
      const env = {
        ...(await backend.env()),
        TRUST_PROXY: 'true',
        SIGNUPS_PER_ADDRESS_PER_HOUR: '3',
        LOGIN_MAX_FAILURES_PER_ADDRESS_PER_MINUTE: '6',
        LOGIN_MAX_FAILURES_PER_MINUTE: '3',
      };
      app = await startApp(env);
      second = backend.name === 'postgres+redis' ? await startApp(env) : app;
    });
    after(async () => {
      await app?.stop();
      if (second !== app) await second?.stop();
    });

    const signUp = (client: RunningApp['client'], email: string, address: string, password = PASSWORD) =>
      client.request(SignUp, { input: { tenantName: 'Team', email, password } }, from(address));

    it('limits sign-ups per address, across instances, and not other addresses', async () => {
      const results = [];
      for (let attempt = 0; attempt < 4; attempt++) {
        const client = attempt % 2 === 0 ? app.client : second.client;
        results.push(await signUp(client, uniqueEmail('signup'), '203.0.113.7'));
      }
      assert.deepEqual(results.slice(0, 3).map((result) => result.errors), [undefined, undefined, undefined]);
      assert.equal(errorCode(results[3]!), 'RATE_LIMITED');
      assert.ok(Number(results[3]!.errors![0]!.extensions!.retryAfterSeconds) > 0);
      const elsewhere = await signUp(app.client, uniqueEmail('signup'), '203.0.113.8');
      assert.equal(elsewhere.errors, undefined, 'another address may still sign up');
    });

    it('limits failed logins per address across emails, and lets the right password through below the limit', async () => {
      const address = '198.51.100.20';
      const owner = uniqueEmail('owner');
      assert.equal((await signUp(app.client, owner, '198.51.100.21')).errors, undefined);
      const codes = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        const client = attempt % 2 === 0 ? app.client : second.client;
        codes.push(errorCode(await client.request(Login, { input: { email: uniqueEmail('guess'), password: 'not the password' } }, from(address))));
      }
      assert.deepEqual(codes, Array(6).fill('UNAUTHENTICATED'));
      const blocked = await app.client.request(Login, { input: { email: owner, password: PASSWORD } }, from(address));
      assert.equal(errorCode(blocked), 'RATE_LIMITED', 'the seventh attempt from the address, whatever the email');
      const fine = await app.client.request(Login, { input: { email: owner, password: PASSWORD } }, from('198.51.100.22'));
      assert.equal(fine.errors, undefined);
    });

    it('gives the several-teams answer only after a correct password, and lets no other account block a sign-in', async () => {
      const email = uniqueEmail('shared');
      assert.equal((await signUp(app.client, email, '192.0.2.1')).errors, undefined);
      const squatter = await signUp(app.client, email, '192.0.2.2', 'the squatters own passphrase');
      assert.equal(squatter.errors, undefined);

      const wrong = await app.client.request(Login, { input: { email, password: 'a wrong password' } }, from('192.0.2.3'));
      assert.equal(errorCode(wrong), 'UNAUTHENTICATED', 'nothing tells a guesser that the email has several accounts');
      assert.doesNotMatch(wrong.errors![0]!.message, /several/);

      const owner = await app.client.request(Login, { input: { email, password: PASSWORD } }, from('192.0.2.4'));
      assert.equal(owner.errors, undefined, 'the owner signs in to their own team without a tenantSlug');
      assert.equal(owner.data!.login.user.email, email);

      const squatterTeam = squatter.data!.signUp.user.tenant.slug;
      assert.equal(await app.client.request(Login, { input: { email, password: 'the squatters own passphrase' } }, from('192.0.2.5'))
        .then((result) => result.data?.login.user.tenant.slug), squatterTeam);

      const sharedPassword = uniqueEmail('same');
      assert.equal((await signUp(app.client, sharedPassword, '192.0.2.6')).errors, undefined);
      assert.equal((await signUp(app.client, sharedPassword, '192.0.2.7')).errors, undefined);
      const ambiguous = await app.client.request(Login, { input: { email: sharedPassword, password: PASSWORD } }, from('192.0.2.8'));
      assert.equal(errorCode(ambiguous), 'BAD_USER_INPUT');
      assert.equal(ambiguous.errors![0]!.extensions!.field, 'tenantSlug');
    });

    it('refuses blank, repeated and common passwords, and accepts a good one', async () => {
      const cases = { '            ': 'blank', aaaaaaaaaaaa: 'one character', Password123: 'common', qwertyuiop: 'common' };
      for (const [password, why] of Object.entries(cases)) {
        const result = await signUp(app.client, uniqueEmail('weak'), '192.0.2.50', password);
        assert.equal(errorCode(result), 'BAD_USER_INPUT', why);
        assert.equal(result.errors![0]!.extensions!.field, 'password', why);
      }
      const admin = await signUp(app.client, uniqueEmail('strong'), '192.0.2.51', 'a long and unusual passphrase');
      assert.equal(admin.errors, undefined);
      const weakMember = await app.client.request(
        CreateUser,
        { input: { email: uniqueEmail('member'), password: '1234567890', role: 'USER' } },
        { token: admin.data!.signUp.accessToken },
      );
      assert.equal(errorCode(weakMember), 'BAD_USER_INPUT');
    });
  });

  describe(`email verification, with SMTP_URL set (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let smtp: SmtpSink;
    before(async () => {
      smtp = await startSmtpSink();
      app = await startApp({ ...(await backend.env()), SMTP_URL: smtp.url, PUBLIC_URL: 'https://api.example.test' });
    });
    after(async () => {
      await app?.stop();
      await smtp?.close();
    });

    const tokenIn = async (email: string) => {
      const [mail] = await (async () => {
        for (let waited = 0; waited < 5000; waited += 50) {
          const found = smtp.to(email);
          if (found.length) return found;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error(`no email to ${email}`);
      })();
      assert.match(mail!.text, /https:\/\/api\.example\.test\/verify-email\?token=ev_/);
      return /token=(ev_[\w-]+)/.exec(mail!.text)![1]!;
    };

    it('mails a single-use link, and a verified account wins a sign-in that an unverified one with the same password would block', async () => {
      const email = uniqueEmail('verified');
      const owner = await app.client.data(SignUp, { input: { tenantName: 'Owner', email, password: PASSWORD } });
      const token = await tokenIn(email);
      const page = await fetch(`${app.origin}/verify-email?token=${token}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /is confirmed/);
      const again = await app.client.request(VerifyEmail, { token });
      assert.equal(errorCode(again), 'UNAUTHENTICATED', 'the link works once');

      await app.client.data(SignUp, { input: { tenantName: 'Squatter', email, password: PASSWORD } });
      const login = await app.client.data(Login, { input: { email, password: PASSWORD } });
      assert.equal(login.login.user.tenant.id, owner.signUp.user.tenant.id, 'the verified account is chosen');
      const me = await app.client.data(Me, {}, { token: login.login.accessToken });
      assert.equal(me.me.id, owner.signUp.user.id);
    });

    it('verifies through the mutation, and refuses a made-up token', async () => {
      const email = uniqueEmail('mutation');
      await app.client.data(SignUp, { input: { tenantName: 'Team', email, password: PASSWORD } });
      const { verifyEmail } = await app.client.data(VerifyEmail, { token: await tokenIn(email) });
      assert.equal(verifyEmail.email, email);
      assert.ok(verifyEmail.emailVerifiedAt);
      assert.equal(errorCode(await app.client.request(VerifyEmail, { token: 'ev_made-up' })), 'UNAUTHENTICATED');
    });
  });
}
