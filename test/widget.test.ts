import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from './support/app.ts';
import { ChannelConversation, ChannelConversations } from './support/channel-operations.ts';
import { errorCode } from './support/client.ts';
import { signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';
import { CreateSession, DisconnectSession, SendSessionMessage } from './support/session-operations.ts';
import { newAddress, newVisitorId, SHOP_ORIGIN, visitorBrowser, websiteSession } from './support/widget-operations.ts';

const AUTO_REPLY = 'Thanks for writing! Someone will be with you shortly.';

for (const backend of backends()) {
  describe(`website widget (${backend.name})`, { skip: backend.skip, timeout: 60_000 }, () => {
    let app: RunningApp;
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    let site: { sessionId: string; publishableKey: string };
    before(async () => {
      // Three a minute, so that the limits are quick to reach; each test uses its own visitors and addresses.
      app = await startApp({ ...(await backend.env()), WIDGET_MESSAGES_PER_MINUTE: '3', TRUST_PROXY: '1' });
      admin = await signUpTenant(app.client);
      site = await websiteSession(app, admin.token, { mode: 'TEXT', text: AUTO_REPLY });
    });
    after(() => app?.stop());

    const visitor = (extra: { visitorId?: string; origin?: string | null; address?: string } = {}) =>
      visitorBrowser(app, { ...site, visitorId: newVisitorId(), ...extra });
    const contactsOf = async (token: string, sessionId: string) =>
      (await app.client.data(ChannelConversations, { sessionId, first: 100 }, { token })).conversations.edges.map((edge) => edge.node.contact.externalId);

    it('stores a visitor message, answers with the TEXT auto-reply, and shows both to the team', async () => {
      const visitorId = newVisitorId();
      const result = await visitor({ visitorId }).send('  Do you ship to Lisbon? ', { name: 'Vera', email: 'Vera@Example.com' });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const { conversationId, message, replies } = result.data!.visitorMessage;
      assert.deepEqual([message.sessionId, message.conversationId, message.direction, message.text, message.status], [
        site.sessionId, conversationId, 'INBOUND', 'Do you ship to Lisbon?', 'RECEIVED',
      ]);
      assert.deepEqual(replies.map((reply) => [reply.conversationId, reply.direction, reply.text, reply.status]), [[conversationId, 'OUTBOUND', AUTO_REPLY, 'SENT']]);

      const { conversation } = await app.client.data(ChannelConversation, { id: conversationId, first: 10 }, { token: admin.token });
      assert.equal(conversation?.contact.externalId, visitorId);
      assert.equal(conversation?.contact.name, 'Vera');
      assert.ok(conversation?.firstResponseAt, 'the auto-reply counts as the first response');
      const stored = conversation!.messages.edges.map(({ node }) => [node.id, node.direction, node.text]);
      assert.deepEqual(stored, [[message.id, 'INBOUND', 'Do you ship to Lisbon?'], [replies[0]!.id, 'OUTBOUND', AUTO_REPLY]]);
    });

    it('stores a message retried with the same clientMessageId once, and answers the first again', async () => {
      const browser = visitor();
      const clientMessageId = newVisitorId();
      const first = (await browser.send('Only once, please', { clientMessageId })).data!.visitorMessage;
      const retry = (await browser.send('Only once, please', { clientMessageId })).data!.visitorMessage;
      assert.equal(retry.message.id, first.message.id);
      assert.deepEqual(retry.replies.map((reply) => reply.id), first.replies.map((reply) => reply.id));
      const { visitorMessages } = (await browser.poll()).data!;
      assert.deepEqual(visitorMessages.map((entry) => entry.text), ['Only once, please', AUTO_REPLY]);
    });

    it("refuses a wrong key, an unknown session, another channel's session and another team's session alike, storing nothing", async () => {
      const other = await signUpTenant(app.client, 'Other team');
      const otherSite = await websiteSession(app, other.token);
      const whatsapp = (await app.client.data(CreateSession, { input: { name: 'WhatsApp', channel: 'WHATSAPP' } }, { token: admin.token })).createSession.session;
      const attempts = [
        { sessionId: site.sessionId, publishableKey: `${site.publishableKey.slice(0, -4)}AAAA` },
        { sessionId: '01937a5e-0000-7000-8000-000000000000', publishableKey: site.publishableKey },
        { sessionId: whatsapp.id, publishableKey: site.publishableKey },
        { sessionId: otherSite.sessionId, publishableKey: site.publishableKey },
      ];
      const visitorId = newVisitorId();
      const answers = [];
      for (const attempt of attempts) {
        const result = await visitorBrowser(app, { ...attempt, visitorId }).send('Let me in');
        assert.equal(errorCode(result), 'UNAUTHENTICATED', JSON.stringify(attempt));
        assert.equal(result.data, null);
        answers.push(result.errors![0]!.message);
      }
      assert.equal(new Set(answers).size, 1, 'every refusal reads the same');
      assert.deepEqual(await contactsOf(other.token, otherSite.sessionId), []);
      assert.deepEqual(await contactsOf(admin.token, whatsapp.id), []);
      assert.ok(!(await contactsOf(admin.token, site.sessionId)).includes(visitorId));
    });

    it('refuses a request without an Origin, or from an origin the session does not allow', async () => {
      const visitorId = newVisitorId();
      for (const origin of [null, 'https://evil.example', 'http://shop.example', `${SHOP_ORIGIN}:8443`, 'null']) {
        const browser = visitor({ visitorId, origin });
        assert.equal(errorCode(await browser.send('Hello')), 'FORBIDDEN', String(origin));
        assert.equal(errorCode(await browser.poll()), 'FORBIDDEN', String(origin));
      }
      assert.ok(!(await contactsOf(admin.token, site.sessionId)).includes(visitorId));
    });

    it('refuses messages to a disconnected session', async () => {
      const closed = await websiteSession(app, admin.token);
      await app.client.data(DisconnectSession, { id: closed.sessionId }, { token: admin.token });
      const result = await visitorBrowser(app, { ...closed, visitorId: newVisitorId() }).send('Anyone there?');
      assert.equal(errorCode(result), 'CONFLICT');
    });

    it('limits messages per visitor and per address, with the seconds to wait', async () => {
      const one = visitor();
      for (let i = 1; i <= 3; i++) assert.equal((await one.send(`Message ${i}`)).errors, undefined);
      const limited = await one.send('Message 4');
      assert.equal(errorCode(limited), 'RATE_LIMITED');
      const wait = limited.errors![0]!.extensions!.retryAfterSeconds as number;
      assert.ok(wait >= 1 && wait <= 60, String(wait));

      const address = newAddress();
      const [first, second] = [visitor({ address }), visitor({ address })];
      assert.equal((await first.send('One')).errors, undefined);
      assert.equal((await first.send('Two')).errors, undefined);
      assert.equal((await second.send('Three')).errors, undefined);
      assert.equal(errorCode(await second.send('Four')), 'RATE_LIMITED', 'the address has sent three');
      assert.equal((await visitor().send('From elsewhere')).errors, undefined, 'other visitors elsewhere are not limited');
    });

    it('gives a widget origin CORS for anonymous requests, and no CORS to requests with credentials', async () => {
      const preflight = (headers: string) =>
        fetch(`${app.origin}/graphql`, {
          method: 'OPTIONS',
          headers: { origin: SHOP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
        });
      const allowed = await preflight('content-type');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), SHOP_ORIGIN);
      assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
      assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /content-type/);
      assert.match(allowed.headers.get('vary') ?? '', /Origin/);

      const sent = await visitor().send('Hello from the shop');
      assert.equal(sent.errors, undefined);
      assert.equal(sent.headers.get('access-control-allow-origin'), SHOP_ORIGIN);
      assert.equal(sent.headers.get('access-control-allow-credentials'), null);

      for (const headers of ['content-type,authorization', 'content-type,x-api-key', 'content-type,x-csrf-token']) {
        assert.equal((await preflight(headers)).headers.get('access-control-allow-origin'), null, headers);
      }
      const withCookie = await app.client.request(
        CreateSession,
        { input: { name: 'Nope', channel: 'WEBSITE' } },
        { headers: { origin: SHOP_ORIGIN, cookie: 'access_token=stolen' } },
      );
      assert.equal(withCookie.headers.get('access-control-allow-origin'), null);
    });

    it("lets a visitor poll their own conversation, with the team's replies, and nobody else's", async () => {
      const visitorId = newVisitorId();
      const browser = visitor({ visitorId });
      const sent = (await browser.send('Is anybody there?')).data!.visitorMessage;
      const staff = await app.client.data(SendSessionMessage, { input: { sessionId: site.sessionId, to: visitorId, text: 'Yes, Ana here.' } }, { token: admin.token });
      const all = (await browser.poll()).data!.visitorMessages;
      assert.deepEqual(all.map((entry) => [entry.direction, entry.text]), [
        ['INBOUND', 'Is anybody there?'],
        ['OUTBOUND', AUTO_REPLY],
        ['OUTBOUND', 'Yes, Ana here.'],
      ]);
      assert.deepEqual(all.map((entry) => entry.conversationId), Array(3).fill(sent.conversationId));
      const later = (await browser.poll(sent.replies[0]!.id)).data!.visitorMessages;
      assert.deepEqual(later.map((entry) => entry.id), [staff.sendSessionMessage.id]);

      const stranger = visitor();
      assert.deepEqual((await stranger.poll()).data!.visitorMessages, []);
      await stranger.send('My own question');
      assert.deepEqual((await stranger.poll()).data!.visitorMessages.map((entry) => entry.text), ['My own question', AUTO_REPLY]);
    });
  });
}
