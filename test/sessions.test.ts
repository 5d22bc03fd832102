import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { CreateSessionInput, SendSessionMessageInput, UpdateSessionInput } from './generated/graphql.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, collect, errorCode, wsClient } from './support/client.ts';
import { sessionStatusReached, verifyWebhook } from './support/channel-fixtures.ts';
import { bodyOf } from './support/deliveries.ts';
import { addMember, eventually, PASSWORD, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { startGraphApiStandin, type GraphApiStandin } from './support/graph-api-standin.ts';
import { AuditEvents, CreateWebhookEndpoint, Login, Me, UpdateWebhookEndpoint, WebhookEndpoints } from './support/operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';
import {
  ConnectSession, CreateSession, DeleteSession, DisconnectSession, SendSessionMessage, SessionById, SessionKeyApiKeys, Sessions,
  SessionStatusChanged, UpdateSession,
} from './support/session-operations.ts';
import { Agents } from './support/agent-operations.ts';

const PUBLIC_URL = 'https://convo.example.com';
const TOKEN = 'EAAG-never-to-be-seen-again-42';
const SECRETS = { accessToken: TOKEN, appSecret: 'app-secret-never-seen', verifyToken: 'verify-token-never-seen' };
const UNAUTHORIZED = 4401;

type Auth = { token?: string; apiKey?: string };

/** The text a QR code PNG data URI encodes. */
function decodeQr(dataUri: string | null | undefined): string | undefined {
  assert.match(dataUri ?? '', /^data:image\/png;base64,/);
  const png = PNG.sync.read(Buffer.from(dataUri!.split(',')[1]!, 'base64'));
  // jsqr is CommonJS: under NodeNext its typed default export is `module.exports.default`.
  return jsQR.default(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

for (const backend of backends()) {
  describe(`channel sessions (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let graph: GraphApiStandin;
    let receiver: Receiver;
    before(async () => {
      [graph, receiver] = await Promise.all([startGraphApiStandin(), startReceiver()]);
      graph.acceptedTokens.add(TOKEN);
      app = await startApp({ ...(await backend.env()), SESSION_LIMIT_PER_TENANT: '2', GRAPH_API_BASE_URL: graph.url, PUBLIC_URL });
    });
    after(async () => {
      await app?.stop();
      await Promise.all([graph?.close(), receiver?.close()]);
    });

    const create = (auth: Auth, input: CreateSessionInput) => app.client.request(CreateSession, { input }, auth);
    const created = async (token: string, input: Partial<CreateSessionInput> = {}) =>
      (await app.client.data(CreateSession, { input: { name: 'Support line', channel: 'WHATSAPP', ...input } }, { token })).createSession;
    const update = (auth: Auth, id: string, input: UpdateSessionInput) => app.client.request(UpdateSession, { id, input }, auth);
    const updated = async (token: string, id: string, input: UpdateSessionInput) =>
      (await app.client.data(UpdateSession, { id, input }, { token })).updateSession;
    const send = (auth: Auth, input: SendSessionMessageInput) => app.client.request(SendSessionMessage, { input }, auth);
    /** A WhatsApp session with working credentials, CONNECTED. */
    const connected = async (token: string, input: Partial<CreateSessionInput> = {}) => {
      const { session, apiKey } = await created(token, input);
      await updated(token, session.id, { phoneNumberId: '1066', phoneNumber: '+14155550123', ...SECRETS });
      return { session: (await app.client.data(ConnectSession, { id: session.id }, { token })).connectSession, apiKey };
    };
    const ids = (sessions: { id: string }[]) => sessions.map((session) => session.id);

    it('creates a session with its own API key and, when asked, a webhook endpoint bound to it, each secret shown once', async () => {
      const { token } = await signUpTenant(app.client);
      const whatsapp = await created(token);
      assert.equal(whatsapp.webhook, null);
      assert.match(whatsapp.apiKey, /^sk_/);
      const { id, createdAt: _c, updatedAt: _u, statusChangedAt: _s, ...fields } = whatsapp.session;
      assert.deepEqual(fields, {
        name: 'Support line', channel: 'WHATSAPP', status: 'PENDING', qrCode: null, phoneNumberId: null, phoneNumber: null,
        hasAccessToken: false, hasAppSecret: false, hasVerifyToken: false, publishableKey: null, allowedOrigins: [],
        autoReply: { mode: 'OFF', text: null, agentId: null }, webhookUrl: `${PUBLIC_URL}/channels/whatsapp/${id}`,
      });
      const hook = { url: receiver.url('/site'), events: ['message.sent'] };
      const website = await created(token, { name: 'Site', channel: 'WEBSITE', webhook: hook });
      assert.match(website.session.publishableKey ?? '', /^pk_/);
      assert.equal(website.session.webhookUrl, null);
      assert.match(website.webhook!.secret, /^whsec_/);
      assert.deepEqual(website.webhook!.endpoint, { id: website.webhook!.endpoint.id, ...hook, sessionId: website.session.id });

      assert.deepEqual((await app.client.data(Sessions, {}, { token })).sessions, [whatsapp.session, website.session]);
      assert.deepEqual((await app.client.data(SessionById, { id }, { token })).session, whatsapp.session);
      const keys = (await app.client.data(SessionKeyApiKeys, {}, { token })).apiKeys.filter((key) => key.sessionId);
      assert.deepEqual(new Set(keys.map((key) => key.sessionId)), new Set([id, website.session.id]));
      assert.ok(keys.every((key) => key.scopes.join() === 'sessions:read,sessions:write' && key.name.startsWith('Session: ')));
      const listed = JSON.stringify(await app.client.data(WebhookEndpoints, {}, { token }));
      assert.ok(!listed.includes(website.webhook!.secret) && !listed.includes(website.apiKey));
      const { auditEvents } = await app.client.data(AuditEvents, { first: 10 }, { token });
      const audited = auditEvents.edges.map((edge) => edge.node).filter((event) => event.type === 'SESSION_CREATED');
      assert.deepEqual(audited.map((event) => (event.data as { sessionId: string }).sessionId), [website.session.id, id]);
      assert.ok(!JSON.stringify(auditEvents).includes(website.apiKey));
    });

    it('lets a session API key reach its own session and nothing else; deleting the session revokes it', async () => {
      const admin = await signUpTenant(app.client);
      const own = await created(admin.token, { webhook: { url: receiver.url('/own') } });
      const other = (await created(admin.token, { name: 'Other' })).session;
      const key = { apiKey: own.apiKey };
      assert.deepEqual(ids((await app.client.data(Sessions, {}, key)).sessions), [own.session.id]);
      assert.equal((await app.client.data(SessionById, { id: own.session.id }, key)).session?.id, own.session.id);
      assert.equal((await update(key, own.session.id, { name: 'Renamed by key' })).data?.updateSession.name, 'Renamed by key');
      assertCode(await app.client.request(SessionById, { id: other.id }, key), 'NOT_FOUND');
      assertCode(await update(key, other.id, { name: 'x' }), 'NOT_FOUND');
      assertCode(await app.client.request(ConnectSession, { id: other.id }, key), 'NOT_FOUND');
      assertCode(await app.client.request(DisconnectSession, { id: other.id }, key), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteSession, { id: other.id }, key), 'NOT_FOUND');
      assertCode(await send(key, { sessionId: other.id, to: '+14155550123', text: 'hi' }), 'NOT_FOUND');
      for (const result of [
        await app.client.request(Me, {}, key),
        await app.client.request(Agents, {}, key),
        await app.client.request(SessionKeyApiKeys, {}, key),
        await app.client.request(WebhookEndpoints, {}, key),
        await create(key, { name: 'More', channel: 'WEBSITE' }),
      ]) assertCode(result, 'FORBIDDEN');

      const socket = wsClient(app.wsUrl, { apiKey: own.apiKey });
      collect(socket.client, SessionStatusChanged, {});
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal((await app.client.data(DeleteSession, { id: own.session.id }, admin)).deleteSession, own.session.id);
      assert.equal((await eventually(() => socket.closes[0], 5000, 'the socket to close')).code, UNAUTHORIZED);
      assertCode(await app.client.request(Sessions, {}, key), 'UNAUTHENTICATED');
      assert.ok((await app.client.data(SessionKeyApiKeys, {}, admin)).apiKeys.every((apiKey) => apiKey.sessionId !== own.session.id));
      assert.ok((await app.client.data(WebhookEndpoints, {}, admin)).webhookEndpoints.every((endpoint) => endpoint.sessionId === null));
    });

    it("refuses a session beyond the team's limit with CONFLICT naming it, creating nothing, even when concurrent", async () => {
      const { token } = await signUpTenant(app.client);
      await created(token);
      await created(token, { channel: 'WEBSITE' });
      const refused = await create({ token }, { name: 'Third', channel: 'MESSENGER', webhook: { url: receiver.url('/third') } });
      assertCode(refused, 'CONFLICT', 'input');
      assert.match(refused.errors![0]!.message, /at most 2 channel sessions/);
      assert.equal((await app.client.data(Sessions, {}, { token })).sessions.length, 2);
      assert.deepEqual((await app.client.data(WebhookEndpoints, {}, { token })).webhookEndpoints, []);
      assert.equal((await app.client.data(SessionKeyApiKeys, {}, { token })).apiKeys.length, 2);

      const racing = await signUpTenant(app.client);
      const results = await Promise.all([1, 2, 3, 4].map((n) => create({ token: racing.token }, { name: `S${n}`, channel: 'WEBSITE' })));
      assert.deepEqual(results.map((result) => errorCode(result) ?? 'OK').sort(), ['CONFLICT', 'CONFLICT', 'OK', 'OK']);
    });

    it('keeps provider secrets write-only and auto-reply settings readable', async () => {
      const { token } = await signUpTenant(app.client);
      const { session } = await created(token);
      const responses: unknown[] = [];
      const autoReply = { mode: 'TEXT', text: 'Back soon' } as const;
      const set = await update({ token }, session.id, { phoneNumberId: '1066', ...SECRETS, autoReply });
      responses.push(set, await app.client.request(Sessions, {}, { token }));
      responses.push(await app.client.request(SessionById, { id: session.id }, { token }));
      const shown = set.data!.updateSession;
      assert.deepEqual([shown.hasAccessToken, shown.hasAppSecret, shown.hasVerifyToken], [true, true, true]);
      assert.deepEqual(shown.autoReply, { mode: 'TEXT', text: 'Back soon', agentId: null });
      responses.push(await app.client.request(ConnectSession, { id: session.id }, { token }));
      responses.push(await app.client.request(AuditEvents, { first: 20 }, { token }));
      const cleared = await updated(token, session.id, { accessToken: null, appSecret: null, autoReply: { mode: 'OFF' } });
      const { hasAccessToken, hasAppSecret, hasVerifyToken, status } = cleared;
      assert.deepEqual([hasAccessToken, hasAppSecret, hasVerifyToken, status], [false, false, true, 'PENDING']);
      assert.deepEqual(cleared.autoReply, { mode: 'OFF', text: null, agentId: null });
      const raw = JSON.stringify(responses);
      for (const secret of Object.values(SECRETS)) assert.ok(!raw.includes(secret), `${secret} leaked`);
    });

    it('makes QR codes that decode to the wa.me link, the m.me link and the widget pairing link', async () => {
      const { token } = await signUpTenant(app.client);
      const whatsapp = (await created(token)).session;
      const withNumber = await updated(token, whatsapp.id, { phoneNumber: '+1 (415) 555-0123' });
      assert.equal(withNumber.phoneNumber, '+14155550123');
      assert.equal(decodeQr(withNumber.qrCode), 'https://wa.me/14155550123');
      const site = (await created(token, { channel: 'WEBSITE' })).session;
      assert.equal(decodeQr(site.qrCode), `${PUBLIC_URL}/widget/${site.id}?key=${site.publishableKey}`);
      const other = await signUpTenant(app.client);
      const page = (await created(other.token, { channel: 'MESSENGER' })).session;
      assert.equal(page.qrCode, null);
      assert.equal(decodeQr((await updated(other.token, page.id, { phoneNumberId: '1234567' })).qrCode), 'https://m.me/1234567');
    });

    it('moves through PENDING, CONNECTED and DISCONNECTED, checking credentials with the Graph API, with events and audit', async () => {
      const admin = await signUpTenant(app.client);
      const { session } = await created(admin.token, { webhook: { url: receiver.url('/status'), events: ['session.status_changed'] } });
      const connect = () => app.client.request(ConnectSession, { id: session.id }, admin);
      assertCode(await connect(), 'CONFLICT', 'phoneNumberId');
      await updated(admin.token, session.id, { phoneNumberId: '777', accessToken: 'wrong-token-1' });
      const refused = await connect();
      assertCode(refused, 'CONFLICT', 'accessToken');
      assert.match(refused.errors![0]!.message, /HTTP 401.*Invalid OAuth access token/);
      assert.ok(!JSON.stringify(refused).includes('wrong-token-1'));
      assert.equal((await app.client.data(SessionById, { id: session.id }, admin)).session?.status, 'PENDING');
      const check = graph.requests.at(-1)!;
      const version = app.config.channels.graphApiVersion;
      assert.deepEqual([check.method, check.path, check.headers.authorization], ['GET', `/${version}/777`, 'Bearer wrong-token-1']);

      await updated(admin.token, session.id, { accessToken: TOKEN });
      const socket = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
      const events = collect(socket.client, SessionStatusChanged, { sessionId: session.id });
      const toggle = async () => {
        await app.client.data(ConnectSession, { id: session.id }, admin);
        await app.client.data(DisconnectSession, { id: session.id }, admin);
      };
      await triggerUntilReceived(toggle, () => (events.events.length >= 2 ? true : undefined));
      const before = events.events.length;
      assert.equal((await app.client.data(ConnectSession, { id: session.id }, admin)).connectSession.status, 'CONNECTED');
      await updated(admin.token, session.id, { accessToken: TOKEN.toUpperCase() });
      const site = (await created(admin.token, { channel: 'WEBSITE' })).session;
      await updated(admin.token, site.id, { allowedOrigins: ['https://shop.example.com'] });
      assert.equal((await app.client.data(ConnectSession, { id: site.id }, admin)).connectSession.status, 'CONNECTED');
      // The toggles' own events may still be on their way: the last two heard must be this connect and the token change.
      const lastTwo = () => events.events.slice(-2).map((event) => [event.sessionStatusChanged.id, event.sessionStatusChanged.status]);
      const expected = [
        [session.id, 'CONNECTED'],
        [session.id, 'PENDING'],
      ];
      await eventually(() => (JSON.stringify(lastTwo()) === JSON.stringify(expected) ? true : undefined), 5000, 'CONNECTED then PENDING');
      assert.ok(events.events.length >= before + 2);
      await socket.client.dispose();

      type Change = { status: string; previousStatus: string; session: { id: string; hasAccessToken: boolean } };
      const pending = await eventually(() => receiver.to('/status').map(bodyOf).find((body) => body.data.status === 'PENDING'));
      const { status, previousStatus, session: summary } = pending.data as Change;
      assert.deepEqual([status, previousStatus, summary.id, summary.hasAccessToken], ['PENDING', 'CONNECTED', session.id, true]);
      const bodies = receiver.to('/status').map(bodyOf);
      assert.ok(bodies.every((body) => body.type === 'session.status_changed' && body.data.sessionId === session.id), 'only its session');
      assert.ok(receiver.to('/status').every((delivery) => !delivery.body.includes(TOKEN)));
      const { auditEvents } = await app.client.data(AuditEvents, { first: 50 }, admin);
      const types = auditEvents.edges.map((edge) => edge.node.type);
      assert.ok(types.includes('SESSION_CONNECTED') && types.includes('SESSION_DISCONNECTED') && types.includes('SESSION_UPDATED'));
    });

    it('becomes CONNECTED when Meta completes the webhook verification handshake', async () => {
      const { token } = await signUpTenant(app.client);
      const { session } = await created(token);
      await updated(token, session.id, { verifyToken: SECRETS.verifyToken });
      const handshake = { 'hub.mode': 'subscribe', 'hub.verify_token': SECRETS.verifyToken, 'hub.challenge': '1158201444' };
      const query = new URLSearchParams(handshake);
      const answer = await fetch(`${app.origin}/channels/whatsapp/${session.id}?${query}`);
      assert.equal(await answer.text(), '1158201444');
      await sessionStatusReached(app.client, token, session.id, 'CONNECTED');
    });

    it('leaves a session an admin disconnected as it is when Meta completes the handshake afterwards', async () => {
      const { token } = await signUpTenant(app.client);
      const [disconnected, pending] = [(await created(token)).session, (await created(token)).session];
      for (const { id } of [disconnected, pending]) await updated(token, id, { verifyToken: SECRETS.verifyToken });
      await app.client.data(DisconnectSession, { id: disconnected.id }, { token });
      for (const { id } of [disconnected, pending]) {
        assert.equal((await verifyWebhook(app.origin, 'whatsapp', id, SECRETS.verifyToken, '7')).status, 200);
      }
      // The later handshake's session connects, so the earlier one's has been taken up too.
      await sessionStatusReached(app.client, token, pending.id, 'CONNECTED');
      assert.equal((await app.client.data(SessionById, { id: disconnected.id }, { token })).session?.status, 'DISCONNECTED');
    });

    it('sends messages through the Graph API with the session token and stores them, sending message.sent', async () => {
      const { token } = await signUpTenant(app.client);
      const { session, apiKey } = await connected(token, { webhook: { url: receiver.url('/sent'), events: ['message.sent'] } });
      const text = 'Hello from the team';
      const sent = (await send({ apiKey }, { sessionId: session.id, to: '+14155550199', text })).data!.sendSessionMessage;
      assert.deepEqual([sent.direction, sent.status, sent.text, sent.error], ['OUTBOUND', 'SENT', 'Hello from the team', null]);
      assert.match(sent.providerMessageId ?? '', /^wamid\./);
      const call = graph.requests.at(-1)!;
      assert.equal(call.path, `/${app.config.channels.graphApiVersion}/1066/messages`);
      assert.equal(call.headers.authorization, `Bearer ${TOKEN}`);
      assert.deepEqual(call.body, { messaging_product: 'whatsapp', to: '14155550199', type: 'text', text: { body: text } });
      const [delivery] = await receiver.waitFor('/sent', 1);
      assert.deepEqual(bodyOf(delivery!).data, sent);

      const other = await signUpTenant(app.client);
      const page = (await created(other.token, { channel: 'MESSENGER' })).session;
      await updated(other.token, page.id, { phoneNumberId: '2020', accessToken: TOKEN });
      await app.client.data(ConnectSession, { id: page.id }, { token: other.token });
      const reply = (await send({ token: other.token }, { sessionId: page.id, to: '6543210', text: 'Hi!' })).data!.sendSessionMessage;
      assert.match(reply.providerMessageId ?? '', /^m_/);
      assert.deepEqual(graph.requests.at(-1)!.body, { recipient: { id: '6543210' }, messaging_type: 'RESPONSE', message: { text: 'Hi!' } });

      const site = (await created(other.token, { channel: 'WEBSITE' })).session;
      await updated(other.token, site.id, { allowedOrigins: ['https://shop.example.com/'] });
      await app.client.data(ConnectSession, { id: site.id }, { token: other.token });
      assertCode(await send({ token: other.token }, { sessionId: site.id, to: 'visitor-0001', text: 'Hi' }), 'BAD_USER_INPUT', 'to');
      await app.prisma().channelContact.create({ data: { tenantId: other.tenant.id, sessionId: site.id, externalId: 'visitor-0001' } });
      const calls = graph.requests.length;
      const toVisitor = (await send({ token: other.token }, { sessionId: site.id, to: 'visitor-0001', text: 'Hi' })).data!
        .sendSessionMessage;
      assert.deepEqual([toVisitor.status, toVisitor.providerMessageId, graph.requests.length], ['SENT', null, calls]);
    });

    it('stores a message the provider refuses as FAILED and answers CONFLICT without the token; refuses unconnected sessions', async () => {
      const { token } = await signUpTenant(app.client);
      const { session } = await connected(token);
      const echoingToken = `(#131030) Recipient not in allowed list (token ${TOKEN})`;
      graph.failWith({ status: 400, body: { error: { message: echoingToken, code: 131030 } } });
      try {
        const refused = await send({ token }, { sessionId: session.id, to: '14155550100', text: 'Hello' });
        assertCode(refused, 'CONFLICT');
        assert.match(refused.errors![0]!.message, /WhatsApp did not take the message.*HTTP 400.*Recipient not in allowed list/);
        assert.ok(!JSON.stringify(refused).includes(TOKEN));
        graph.failWith({ status: 503, body: 'upstream down' });
        assertCode(await send({ token }, { sessionId: session.id, to: '14155550100', text: 'Again' }), 'CONFLICT');
      } finally {
        graph.failWith(null);
      }
      const stored = await app.prisma().channelMessage.findMany({ where: { sessionId: session.id }, orderBy: { id: 'asc' } });
      assert.deepEqual(
        stored.map((message) => [message.text, message.status, message.providerMessageId]),
        [['Hello', 'FAILED', null], ['Again', 'FAILED', null]],
      );
      assert.ok(stored.every((message) => message.error && !message.error.includes(TOKEN)));
      await app.client.data(DisconnectSession, { id: session.id }, { token });
      assertCode(await send({ token }, { sessionId: session.id, to: '14155550100', text: 'Hello' }), 'CONFLICT', 'sessionId');
    });

    it('rejects bad input with BAD_USER_INPUT naming the field', async () => {
      const a = await signUpTenant(app.client);
      const b = await signUpTenant(app.client);
      assertCode(await create({ token: a.token }, { name: ' ', channel: 'WHATSAPP' }), 'BAD_USER_INPUT', 'name');
      const withWebhook = (webhook: CreateSessionInput['webhook']) =>
        create({ token: a.token }, { name: 'x', channel: 'WHATSAPP', webhook });
      assertCode(await withWebhook({ url: 'ftp://x' }), 'BAD_USER_INPUT', 'webhook.url');
      assertCode(await withWebhook({ url: receiver.url(), events: ['nope'] }), 'BAD_USER_INPUT', 'webhook.events');
      const { session } = await connected(a.token);
      const site = (await created(a.token, { channel: 'WEBSITE' })).session;
      const agentOfB = { tenantId: b.tenant.id, name: 'B', webhookUrl: 'http://127.0.0.1:9/b' };
      const foreignAgent = (await app.prisma().agent.create({ data: agentOfB })).id;
      const cases: [string, UpdateSessionInput, string][] = [
        [session.id, { phoneNumber: '555-0123' }, 'phoneNumber'],
        [session.id, { phoneNumberId: 'abc' }, 'phoneNumberId'],
        [session.id, { accessToken: 'two words' }, 'accessToken'],
        [session.id, { allowedOrigins: ['https://shop.example.com'] }, 'allowedOrigins'],
        [session.id, { autoReply: { mode: 'TEXT' } }, 'autoReply.text'],
        [session.id, { autoReply: { mode: 'AGENT', agentId: foreignAgent } }, 'autoReply.agentId'],
        [site.id, { accessToken: TOKEN }, 'accessToken'],
        [site.id, { allowedOrigins: ['http://shop.example.com'] }, 'allowedOrigins.0'],
        [site.id, { allowedOrigins: ['https://shop.example.com/path'] }, 'allowedOrigins.0'],
      ];
      for (const [id, input, field] of cases) assertCode(await update({ token: a.token }, id, input), 'BAD_USER_INPUT', field);
      const message = (input: Partial<SendSessionMessageInput>) =>
        send({ token: a.token }, { sessionId: session.id, to: '+14155550123', text: 'Hi', ...input });
      assertCode(await message({ text: ' ' }), 'BAD_USER_INPUT', 'text');
      assertCode(await message({ text: 'x'.repeat(4097) }), 'BAD_USER_INPUT', 'text');
      assertCode(await message({ to: 'someone' }), 'BAD_USER_INPUT', 'to');
      const bEndpoint = { url: receiver.url('/b'), sessionId: session.id };
      assertCode(await app.client.request(CreateWebhookEndpoint, { input: bEndpoint }, { token: b.token }), 'BAD_USER_INPUT', 'sessionId');
      const own = await app.client.data(CreateWebhookEndpoint, { input: { url: receiver.url('/b') } }, { token: b.token });
      const rebind = { id: own.createWebhookEndpoint.endpoint.id, input: { sessionId: session.id } };
      assertCode(await app.client.request(UpdateWebhookEndpoint, rebind, { token: b.token }), 'BAD_USER_INPUT', 'sessionId');
      assert.deepEqual((await app.client.data(SessionById, { id: session.id }, { token: a.token })).session?.status, 'CONNECTED');
    });

    it("lets members read sessions but not change them, and answers NOT_FOUND for another team's session everywhere", async () => {
      const admin = await signUpTenant(app.client);
      const { session } = await created(admin.token);
      const { email } = await addMember(app.client, admin.token);
      const member = { token: (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken };
      assert.deepEqual(ids((await app.client.data(Sessions, {}, member)).sessions), [session.id]);
      const stranger = { token: (await signUpTenant(app.client, 'Beta')).token };
      const operations = (auth: Auth) => [
        create(auth, { name: 'Mine', channel: 'WEBSITE' }),
        update(auth, session.id, { name: 'Mine' }),
        app.client.request(ConnectSession, { id: session.id }, auth),
        app.client.request(DisconnectSession, { id: session.id }, auth),
        app.client.request(DeleteSession, { id: session.id }, auth),
        send(auth, { sessionId: session.id, to: '+14155550123', text: 'Hi' }),
      ];
      for (const result of await Promise.all(operations(member))) assertCode(result, 'FORBIDDEN');
      const [, ...others] = await Promise.all(operations(stranger));
      for (const result of others) assertCode(result, 'NOT_FOUND');
      assertCode(await app.client.request(SessionById, { id: session.id }, stranger), 'NOT_FOUND');
      assert.deepEqual(ids((await app.client.data(Sessions, {}, stranger)).sessions).includes(session.id), false);
      const socket = wsClient(app.wsUrl, { authorization: `Bearer ${stranger.token}` });
      const subscription = collect(socket.client, SessionStatusChanged, { sessionId: session.id });
      await assert.rejects(subscription.next(1), /NOT_FOUND|not found/i);
      await socket.client.dispose();
      assert.equal((await app.client.data(SessionById, { id: session.id }, admin)).session?.name, 'Support line');
    });
  });
}
