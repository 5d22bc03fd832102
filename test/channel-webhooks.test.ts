import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Client } from 'graphql-ws';
import { enqueueJobs } from '../src/events/job-claims.ts';
import { INBOUND_PAYLOAD_CONSUMER } from '../src/modules/channels/webhook-intake.ts';
import { startApp, type RunningApp } from './support/app.ts';
import {
  connectChannelSession,
  hubSignature,
  instagramText,
  messengerText,
  postWebhook,
  sessionStatusReached,
  verifyWebhook,
  whatsappMessageId,
  whatsappStatuses,
  whatsappText,
  type ChannelSessionFixture,
  type WebhookChannelPath,
} from './support/channel-fixtures.ts';
import { ChannelConversation, ChannelConversations, CloseChannelConversation, OnChannelMessageReceived } from './support/channel-operations.ts';
import { collect, errorCode, wsClient } from './support/client.ts';
import { bodyOf } from './support/deliveries.ts';
import { eventually, signUpTenant, triggerUntilReceived } from './support/fixtures.ts';
import { inboundProcessed } from './support/inbound.ts';
import { startGraphApiStandin, type GraphApiStandin } from './support/graph-api-standin.ts';
import { CreateWebhookEndpoint } from './support/operations.ts';
import { SendSessionMessage, UpdateSession } from './support/session-operations.ts';
import { startReceiver, type Receiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

/** Deliveries go through the outbox, the dispatcher and the delivery worker. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** How long to wait for something that must not arrive, after something sent later already has. */
const QUIET_MS = 300;

const CHANNELS = { whatsapp: 'WHATSAPP', messenger: 'MESSENGER', instagram: 'INSTAGRAM' } as const;

for (const backend of backends()) {
  describe(`inbound channel webhooks (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    let graphApi: GraphApiStandin;
    const sockets: Client[] = [];
    const receivers: Receiver[] = [];
    before(async () => {
      graphApi = await startGraphApiStandin();
      app = await startApp({ ...(await backend.env()), GRAPH_API_BASE_URL: graphApi.url });
    });
    afterEach(async () => {
      await Promise.all([...sockets.splice(0).map((socket) => socket.dispose()), ...receivers.splice(0).map((open) => open.close())]);
    });
    after(() => Promise.all([app?.stop(), graphApi?.close()]));

    const tenantWithSession = async (path: WebhookChannelPath = 'whatsapp') => {
      const admin = await signUpTenant(app.client);
      const session = await connectChannelSession(app.client, admin.token, CHANNELS[path]);
      return { ...admin, session };
    };
    /** What the provider would POST for `session`, signed with its app secret unless `signature` is given; resolves once what it stored is processed. */
    const post = async (session: ChannelSessionFixture, path: WebhookChannelPath, body: unknown, signature?: string | null) => {
      const response = await postWebhook(app.origin, path, session.id, body, { appSecret: session.appSecret, signature });
      if (response.ok) await inboundProcessed(app);
      return response;
    };
    const conversations = async (token: string, sessionId?: string) =>
      (await app.client.data(ChannelConversations, { sessionId, first: 50 }, { token })).conversations.edges.map((edge) => edge.node);
    const conversation = async (token: string, id: string) => (await app.client.data(ChannelConversation, { id, first: 100 }, { token })).conversation!;
    const messagesOf = async (token: string, sessionId: string) => {
      const all = [];
      for (const { id } of await conversations(token, sessionId)) {
        all.push(...(await conversation(token, id)).messages.edges.map((edge) => edge.node));
      }
      return all;
    };
    const boundEndpoint = (token: string, url: string, events: string[], sessionId: string) =>
      app.client.data(CreateWebhookEndpoint, { input: { url, events, sessionId } }, { token });
    const receiver = async () => {
      const started = await startReceiver();
      receivers.push(started);
      return started;
    };
    const subscribe = (token: string, sessionId?: string) => {
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
      sockets.push(client);
      return collect(client, OnChannelMessageReceived, sessionId ? { sessionId } : {});
    };
    /** Meta verified the callback URL: the session becomes CONNECTED and may send. */
    const verified = async (token: string, session: ChannelSessionFixture, path: WebhookChannelPath) => {
      graphApi.acceptedTokens.add(session.accessToken);
      assert.equal((await verifyWebhook(app.origin, path, session.id, session.verifyToken, '42')).status, 200);
      await sessionStatusReached(app.client, token, session.id, 'CONNECTED');
    };
    const eventsOf = (target: Receiver, type: string) => target.requests.map(bodyOf).filter((body) => body.type === type);

    it('stores a signed WhatsApp text as a contact, a conversation and a message, read back through the API', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const id = whatsappMessageId();
      const at = new Date('2026-01-02T03:04:05.000Z');
      const response = await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ id, from: '5511988887777', name: 'Ana', text: 'Hi there', at }]));
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'EVENT_RECEIVED');

      const [listed, ...others] = await conversations(token, session.id);
      assert.equal(others.length, 0);
      assert.equal(listed!.status, 'OPEN');
      assert.deepEqual(
        { externalId: listed!.contact.externalId, name: listed!.contact.name, phone: listed!.contact.phone },
        { externalId: '5511988887777', name: 'Ana', phone: '+5511988887777' },
      );
      const read = await conversation(token, listed!.id);
      assert.equal(read.sessionId, session.id);
      assert.deepEqual(
        read.messages.edges.map(({ node }) => ({ ...node, id: undefined })),
        [
          {
            id: undefined,
            sessionId: session.id,
            conversationId: listed!.id,
            direction: 'INBOUND',
            providerMessageId: id,
            text: 'Hi there',
            status: 'RECEIVED',
            occurredAt: at.toISOString(),
          },
        ],
      );
    });

    it('stores a text holding NUL characters with U+FFFD in their place, instead of failing the provider until it gives up', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const response = await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ from: '5511977771111', name: 'N\u0000a', text: 'Hel\u0000lo' }]));
      assert.equal(response.status, 200);
      const [listed] = await conversations(token, session.id);
      assert.equal(listed!.contact.name, 'N\uFFFDa');
      const read = await conversation(token, listed!.id);
      assert.deepEqual(read.messages.edges.map(({ node }) => node.text), ['Hel\uFFFDlo']);
    });

    for (const path of ['messenger', 'instagram'] as const) {
      it(`stores a signed ${path} text in the Messenger Platform's shape${path === 'instagram' ? ', leaving out echoes' : ''}`, async () => {
        const { token, session } = await tenantWithSession(path);
        const sent = { from: '24680', text: 'Do you ship to Lisbon?' };
        const body =
          path === 'messenger'
            ? messengerText(session.phoneNumberId, [sent])
            : instagramText(session.phoneNumberId, [sent, { text: 'our own reply', isEcho: true }]);
        assert.equal((await post(session, path, body)).status, 200);
        const [listed, ...others] = await conversations(token, session.id);
        assert.equal(others.length, 0);
        assert.equal(listed!.contact.externalId, '24680');
        assert.deepEqual(
          (await messagesOf(token, session.id)).map((message) => [message.direction, message.text]),
          [['INBOUND', 'Do you ship to Lisbon?']],
        );
      });
    }

    it('sends message.received and conversation.created, with the session id, to a webhook endpoint bound to the session', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const hooks = await receiver();
      await boundEndpoint(token, hooks.url('/bound'), ['message.received', 'conversation.created'], session.id);
      const id = whatsappMessageId();
      await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ id, text: 'I want a quote' }]));

      await hooks.waitFor('/bound', 2, DELIVERY_TIMEOUT_MS);
      const [created] = eventsOf(hooks, 'conversation.created');
      const [received] = eventsOf(hooks, 'message.received');
      assert.equal(created!.data.sessionId, session.id);
      assert.equal(received!.data.sessionId, session.id);
      assert.equal(received!.data.providerMessageId, id);
      assert.equal(received!.data.text, 'I want a quote');
      assert.equal(received!.data.direction, 'INBOUND');
      assert.equal(received!.data.conversationId, (created!.data.conversation as { id: string }).id);
      assert.equal((received!.data.contact as { externalId: string }).externalId, '5511999999999');
    });

    it('stores a redelivered payload once, announces it once, and never drops a distinct message', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const hooks = await receiver();
      await boundEndpoint(token, hooks.url('/events'), ['message.received'], session.id);
      const [a, b, c] = [whatsappMessageId(), whatsappMessageId(), whatsappMessageId()];
      const both = whatsappText(session.phoneNumberId, [{ id: a, text: 'first' }, { id: b, text: 'second' }]);
      // Meta retries while the first delivery is still being stored, too.
      const statuses = await Promise.all(Array.from({ length: 4 }, () => post(session, 'whatsapp', both)));
      assert.deepEqual(statuses.map((response) => response.status), [200, 200, 200, 200]);
      assert.equal((await post(session, 'whatsapp', both)).status, 200);
      const [d, e] = [whatsappMessageId(), whatsappMessageId()];
      const distinct = await Promise.all([
        post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ id: a, text: 'first' }, { id: c, text: 'third' }])),
        post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ id: d, text: 'fourth' }])),
        post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ id: e, text: 'fifth' }])),
      ]);
      assert.deepEqual(distinct.map((response) => response.status), [200, 200, 200]);

      const messages = await messagesOf(token, session.id);
      assert.deepEqual(messages.map((message) => message.text).sort(), ['fifth', 'first', 'fourth', 'second', 'third']);
      assert.equal((await conversations(token, session.id)).length, 1);
      await hooks.waitFor('/events', 5, DELIVERY_TIMEOUT_MS);
      await delay(QUIET_MS * 3);
      assert.deepEqual(eventsOf(hooks, 'message.received').map((event) => event.data.providerMessageId).sort(), [a, b, c, d, e].sort());
    });

    it('accepts a Messenger payload signed only with X-Hub-Signature (SHA-1), and SHA-1 nowhere else', async () => {
      const sha1 = (secret: string, raw: string) => `sha1=${createHmac('sha1', secret).update(raw).digest('hex')}`;
      const postSigned = async (session: ChannelSessionFixture, path: WebhookChannelPath, raw: string, headers: Record<string, string>) => {
        const response = await fetch(`${app.origin}/channels/${path}/${session.id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw });
        if (response.ok) await inboundProcessed(app);
        return response.status;
      };
      const messenger = await tenantWithSession('messenger');
      const secret = messenger.session.appSecret;
      const raw = (text: string) => JSON.stringify(messengerText(messenger.session.phoneNumberId, [{ from: '13579', text }]));
      const [good, wrong, downgrade] = [raw('signed the old way'), raw('wrong sha1'), raw('bad sha256')];
      assert.equal(await postSigned(messenger.session, 'messenger', good, { 'x-hub-signature': sha1(secret, good) }), 200);
      assert.equal(await postSigned(messenger.session, 'messenger', wrong, { 'x-hub-signature': sha1('not-the-secret', wrong) }), 401);
      const both = { 'x-hub-signature': sha1(secret, downgrade), 'x-hub-signature-256': hubSignature('not-the-secret', downgrade) };
      assert.equal(await postSigned(messenger.session, 'messenger', downgrade, both), 401, 'a SHA-1 signature must not stand in for a failed SHA-256 one');
      assert.deepEqual((await messagesOf(messenger.token, messenger.session.id)).map((message) => message.text), ['signed the old way']);

      const whatsapp = await tenantWithSession('whatsapp');
      const whatsappRaw = JSON.stringify(whatsappText(whatsapp.session.phoneNumberId, [{ text: 'sha1 only' }]));
      assert.equal(await postSigned(whatsapp.session, 'whatsapp', whatsappRaw, { 'x-hub-signature': sha1(whatsapp.session.appSecret, whatsappRaw) }), 401);
      assert.deepEqual(await conversations(whatsapp.token, whatsapp.session.id), []);
    });

    it('refuses a wrong, malformed or missing signature with 401 and stores nothing', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const body = whatsappText(session.phoneNumberId, [{ text: 'forged' }]);
      const otherBody = JSON.stringify(whatsappText(session.phoneNumberId, [{ text: 'something else' }]));
      for (const signature of [
        hubSignature('not-the-app-secret', JSON.stringify(body)),
        hubSignature(session.appSecret, otherBody),
        'sha256=abc',
        `sha1=${'0'.repeat(40)}`,
        '',
        null,
      ]) {
        const response = await post(session, 'whatsapp', body, signature);
        assert.equal(response.status, 401, `signature ${signature}`);
        assert.equal((await response.json()).errors[0].extensions.code, 'UNAUTHENTICATED');
      }
      assert.deepEqual(await conversations(token, session.id), []);
    });

    it('checks payloads against a new app secret within a second of the change, and the old one no longer', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const payload = () => whatsappText(session.phoneNumberId, [{ text: 'hello' }]);
      assert.equal((await post(session, 'whatsapp', payload())).status, 200, 'the session is looked up, and kept for a moment');
      const rotated = { ...session, appSecret: `app-secret-${randomUUID()}` };
      await app.client.data(UpdateSession, { id: session.id, input: { appSecret: rotated.appSecret } }, { token });
      const changedAt = Date.now();
      await eventually(async () => ((await post(rotated, 'whatsapp', payload())).status === 200 ? true : undefined), 5_000, 'the new secret to be taken');
      assert.ok(Date.now() - changedAt < 2_500, `the new secret took ${Date.now() - changedAt} ms to apply`);
      assert.equal((await post(session, 'whatsapp', payload())).status, 401);
    });

    it('answers 400 to a body that is not the channel’s documented JSON, and stores nothing', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const noId = whatsappText(session.phoneNumberId, [{ text: 'x' }]);
      delete (noId.entry[0]!.changes[0]!.value.messages[0] as { id?: string }).id;
      const valid = whatsappText(session.phoneNumberId, [{ text: 'valid one' }]);
      const halfValid = { ...valid, entry: [...valid.entry, { id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp' } }] }] };
      for (const body of ['{"object":', 'null', '[]', JSON.stringify(messengerText('123', [{ text: 'x' }])), JSON.stringify(noId), JSON.stringify(halfValid)]) {
        const response = await post(session, 'whatsapp', body);
        assert.equal(response.status, 400, body);
        assert.equal((await response.json()).errors[0].extensions.code, 'BAD_USER_INPUT');
      }
      assert.deepEqual(await conversations(token, session.id), []);
    });

    it('leaves out an accepted payload that no longer fits its session, and stores the ones behind it', async () => {
      const { token, session, tenant } = await tenantWithSession('whatsapp');
      const from = '5511955554444';
      // As stored by an earlier version whose normaliser took what this one refuses.
      const accepted = (key: string, body: unknown) => ({
        consumer: INBOUND_PAYLOAD_CONSUMER,
        tenantId: tenant.id,
        key: `${session.id}:${key}`,
        orderingKey: `${session.id}:${from}`,
        payload: { sessionId: session.id, body, part: { contact: from } },
      });
      await enqueueJobs(app.prisma(), [
        accepted('stale', { object: 'whatsapp_business_account', entry: 'not a list' }),
        accepted('fresh', whatsappText(session.phoneNumberId, [{ from, text: 'behind the stale one' }])),
      ]);
      await eventually(async () => ((await conversations(token, session.id)).length ? true : undefined), 10_000, 'the payload behind the stale one');
      await inboundProcessed(app);
      assert.deepEqual((await messagesOf(token, session.id)).map((message) => message.text), ['behind the stale one']);
      const jobs = await app.prisma().consumerJob.findMany({ where: { key: { startsWith: session.id } }, orderBy: { key: 'asc' } });
      assert.deepEqual(jobs.map((job) => [job.key, job.status, job.attemptCount]), [[`${session.id}:fresh`, 'DONE', 1], [`${session.id}:stale`, 'DONE', 1]]);
    });

    it('answers 404 for an unknown session or a session of another channel, and 413 above 1 MiB', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const body = whatsappText(session.phoneNumberId, [{ text: 'x' }]);
      assert.equal((await post(session, 'messenger', body)).status, 404);
      assert.equal((await post({ ...session, id: randomUUID() }, 'whatsapp', body)).status, 404);
      assert.equal((await post({ ...session, id: 'not-a-session' }, 'whatsapp', body)).status, 404);
      const huge = JSON.stringify({ ...body, padding: 'x'.repeat(1024 * 1024) });
      assert.equal((await post(session, 'whatsapp', huge)).status, 413);
      assert.deepEqual(await conversations(token, session.id), []);
    });

    it("answers Meta's verification handshake with the challenge only for the session's verify token", async () => {
      const { token, session } = await tenantWithSession('instagram');
      const right = await verifyWebhook(app.origin, 'instagram', session.id, session.verifyToken, '1158201444');
      assert.equal(right.status, 200);
      assert.match(right.headers.get('content-type') ?? '', /^text\/plain/);
      assert.equal(await right.text(), '1158201444');
      await sessionStatusReached(app.client, token, session.id, 'CONNECTED');
      assert.equal((await verifyWebhook(app.origin, 'instagram', session.id, `${session.verifyToken}x`, '1')).status, 403);
      assert.equal((await verifyWebhook(app.origin, 'instagram', session.id, '', '1')).status, 403);
      assert.equal((await verifyWebhook(app.origin, 'messenger', session.id, session.verifyToken, '1')).status, 404);
      const wrongMode = new URLSearchParams({ 'hub.mode': 'unsubscribe', 'hub.verify_token': session.verifyToken, 'hub.challenge': '1' });
      assert.equal((await fetch(`${app.origin}/channels/instagram/${session.id}?${wrongMode}`)).status, 403);
      // As the lead-capture system's verification examples send it: no hub.mode at all.
      const noMode = new URLSearchParams({ 'hub.verify_token': session.verifyToken, 'hub.challenge': '2736' });
      const answered = await fetch(`${app.origin}/channels/instagram/${session.id}?${noMode}`);
      assert.equal(answered.status, 200);
      assert.equal(await answered.text(), '2736');
      const noModeWrongToken = new URLSearchParams({ 'hub.verify_token': 'guess', 'hub.challenge': '3' });
      assert.equal((await fetch(`${app.origin}/channels/instagram/${session.id}?${noModeWrongToken}`)).status, 403);
    });

    it('applies WhatsApp delivery reports to the messages the session sent, only ever forward', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      await verified(token, session, 'whatsapp');
      await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ from: '5511977776666', text: 'hello' }]));
      const { sendSessionMessage } = await app.client.data(SendSessionMessage, { input: { sessionId: session.id, to: '5511977776666', text: 'hi!' } }, { token });
      const sent = sendSessionMessage.providerMessageId!;
      const statusOf = async () => (await messagesOf(token, session.id)).find((message) => message.providerMessageId === sent)!.status;
      assert.equal(await statusOf(), 'SENT');
      await post(session, 'whatsapp', whatsappStatuses(session.phoneNumberId, [{ id: sent, status: 'delivered' }]));
      assert.equal(await statusOf(), 'DELIVERED');
      const lateReports = [{ id: sent, status: 'read' }, { id: sent, status: 'delivered' }, { id: sent, status: 'failed' }] as const;
      assert.equal((await post(session, 'whatsapp', whatsappStatuses(session.phoneNumberId, [...lateReports]))).status, 200);
      assert.equal(await statusOf(), 'READ');
    });

    it("runs the session's auto-reply for a message that came through the webhook, once however often it is delivered", async () => {
      const { token, session } = await tenantWithSession('messenger');
      await verified(token, session, 'messenger');
      const reply = 'Thanks! We will answer within the hour.';
      await app.client.data(UpdateSession, { id: session.id, input: { autoReply: { mode: 'TEXT', text: reply } } }, { token });
      const body = messengerText(session.phoneNumberId, [{ from: '13579', text: 'Are you open?' }]);
      await post(session, 'messenger', body);
      await post(session, 'messenger', body);

      const texts = await eventually(async () => {
        const messages = await messagesOf(token, session.id);
        return messages.some((message) => message.direction === 'OUTBOUND') ? messages : undefined;
      }, DELIVERY_TIMEOUT_MS, 'the auto-reply');
      assert.deepEqual(texts.map((message) => [message.direction, message.text]), [['INBOUND', 'Are you open?'], ['OUTBOUND', reply]]);
      const sends = graphApi.requests.filter((request) => request.method === 'POST' && (request.body as { recipient?: { id?: string } }).recipient?.id === '13579');
      assert.equal(sends.length, 1);
      await delay(QUIET_MS);
      assert.equal((await messagesOf(token, session.id)).length, 2, 'a redelivery is not answered again');
    });

    it('sends channelMessageReceived to subscribers of the tenant only, of the session asked for', async () => {
      const a = await tenantWithSession('messenger');
      const otherSessionOfA = await connectChannelSession(app.client, a.token, 'WHATSAPP');
      const b = await tenantWithSession('messenger');
      const mine = subscribe(a.token, a.session.id);
      const all = subscribe(a.token);
      const otherSession = subscribe(a.token, otherSessionOfA.id);
      const otherTenant = subscribe(b.token);
      const texts: string[] = [];
      await triggerUntilReceived(
        async () => {
          const text = `hello ${texts.length}`;
          texts.push(text);
          await post(a.session, 'messenger', messengerText(a.session.phoneNumberId, [{ text }]));
        },
        () => (mine.events.length > 0 && all.events.length > 0 ? true : undefined),
      );
      const [event] = mine.events;
      assert.equal(event!.channelMessageReceived.sessionId, a.session.id);
      assert.equal(event!.channelMessageReceived.direction, 'INBOUND');
      assert.ok(texts.includes(event!.channelMessageReceived.text));
      await delay(QUIET_MS);
      assert.deepEqual(otherTenant.events, []);
      assert.deepEqual(otherSession.events, []);

      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${b.token}` });
      sockets.push(client);
      const foreign = collect(client, OnChannelMessageReceived, { sessionId: a.session.id });
      await assert.rejects(foreign.next(1), /NOT_FOUND|not found/);
    });

    it('closes a conversation with closeConversation, sending conversation.closed; the next message opens a new one', async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const hooks = await receiver();
      await boundEndpoint(token, hooks.url('/closed'), ['conversation.closed'], session.id);
      await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ text: 'first visit' }]));
      const [first] = await conversations(token, session.id);

      const { closeConversation } = await app.client.data(CloseChannelConversation, { id: first!.id }, { token });
      assert.equal(closeConversation.status, 'CLOSED');
      assert.ok(closeConversation.closedAt);
      const again = await app.client.data(CloseChannelConversation, { id: first!.id }, { token });
      assert.equal(again.closeConversation.closedAt, closeConversation.closedAt);

      const [closed] = await hooks.waitFor('/closed', 1, DELIVERY_TIMEOUT_MS);
      const { data } = bodyOf(closed!);
      assert.equal(data.sessionId, session.id);
      const { createdAt: _createdAt, ...announced } = data.conversation as Record<string, unknown>;
      assert.deepEqual(announced, { id: first!.id, status: 'CLOSED', closedAt: closeConversation.closedAt });
      assert.equal(data.reason, 'MANUAL');

      await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ text: 'second visit' }]));
      const [second, old] = await conversations(token, session.id);
      assert.equal(old!.id, first!.id);
      assert.notEqual(second!.id, first!.id);
      assert.equal(second!.status, 'OPEN');
      assert.deepEqual((await conversations(token, session.id)).length, 2);
      await delay(QUIET_MS);
      assert.equal(eventsOf(hooks, 'conversation.closed').length, 1, 'closing a closed conversation sends nothing');
    });

    it("keeps a tenant's conversations from every other tenant", async () => {
      const a = await tenantWithSession('whatsapp');
      const b = await tenantWithSession('whatsapp');
      await post(a.session, 'whatsapp', whatsappText(a.session.phoneNumberId, [{ text: 'private' }]));
      const [mine] = await conversations(a.token, a.session.id);
      assert.deepEqual(await conversations(b.token), []);
      assert.deepEqual(await conversations(b.token, a.session.id), []);
      const read = await app.client.request(ChannelConversation, { id: mine!.id }, { token: b.token });
      assert.equal(errorCode(read), 'NOT_FOUND');
      assert.equal(read.data?.conversation ?? null, null);
      const close = await app.client.request(CloseChannelConversation, { id: mine!.id }, { token: b.token });
      assert.equal(errorCode(close), 'NOT_FOUND');
      assert.equal((await conversation(a.token, mine!.id)).status, 'OPEN');
    });

    it("gives a session's own API key that session's conversations only", async () => {
      const { token, session } = await tenantWithSession('whatsapp');
      const other = await connectChannelSession(app.client, token, 'WHATSAPP');
      await post(session, 'whatsapp', whatsappText(session.phoneNumberId, [{ text: 'to the first' }]));
      await post(other, 'whatsapp', whatsappText(other.phoneNumberId, [{ text: 'to the second' }]));
      const [theirs] = await conversations(token, other.id);
      const asKey = { apiKey: session.apiKey };
      const listed = await app.client.data(ChannelConversations, {}, asKey);
      assert.deepEqual(listed.conversations.edges.map((edge) => edge.node.sessionId), [session.id]);
      const filtered = await app.client.data(ChannelConversations, { sessionId: other.id }, asKey);
      assert.deepEqual(filtered.conversations.edges, []);
      assert.equal(errorCode(await app.client.request(ChannelConversation, { id: theirs!.id }, asKey)), 'NOT_FOUND');
      assert.equal(errorCode(await app.client.request(CloseChannelConversation, { id: theirs!.id }, asKey)), 'NOT_FOUND');
      const { client } = wsClient(app.wsUrl, { apiKey: session.apiKey });
      sockets.push(client);
      await assert.rejects(collect(client, OnChannelMessageReceived, { sessionId: other.id }).next(1), /NOT_FOUND|not found/);
    });
  });

  describe(`idle channel conversations (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      // 0.001 h = 3.6 s
      app = await startApp({ ...(await backend.env()), CONVERSATION_IDLE_CLOSE_HOURS: '0.001' });
    });
    after(() => app?.stop());

    it('closes a conversation nobody wrote in for CONVERSATION_IDLE_CLOSE_HOURS and sends conversation.closed', async () => {
      const { token } = await signUpTenant(app.client);
      const session = await connectChannelSession(app.client, token, 'WHATSAPP');
      const hooks = await startReceiver();
      try {
        await app.client.data(CreateWebhookEndpoint, { input: { url: hooks.url('/idle'), events: ['conversation.closed'], sessionId: session.id } }, { token });
        await postWebhook(app.origin, 'whatsapp', session.id, whatsappText(session.phoneNumberId, [{ text: 'anyone there?' }]), session);
        await inboundProcessed(app);
        const { conversations } = await app.client.data(ChannelConversations, { sessionId: session.id }, { token });
        const id = conversations.edges[0]!.node.id;
        assert.equal(conversations.edges[0]!.node.status, 'OPEN');
        const closed = await eventually(
          async () => {
            const { conversation } = await app.client.data(ChannelConversation, { id }, { token });
            return conversation?.status === 'CLOSED' ? conversation : undefined;
          },
          15_000,
          'the idle conversation to close',
        );
        assert.ok(new Date(closed.closedAt!).getTime() - new Date(closed.createdAt).getTime() >= 3_600);
        const [event] = await hooks.waitFor('/idle', 1, DELIVERY_TIMEOUT_MS);
        assert.deepEqual([bodyOf(event!).data.reason, (bodyOf(event!).data.conversation as { id: string }).id], ['IDLE', id]);
      } finally {
        await hooks.close();
      }
    });
  });
}
