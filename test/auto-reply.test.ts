import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { AutoReplyInput } from './generated/graphql.ts';
import { CreateAgent } from './support/agent-operations.ts';
import { startAgentStandin, withoutTimestamps, type AgentStandin } from './support/agent-standin.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { connectChannelSession, postWebhook, whatsappText } from './support/channel-fixtures.ts';
import { ChannelConversations } from './support/channel-operations.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { inboundProcessed } from './support/inbound.ts';
import { startGraphApiStandin, type GraphApiStandin } from './support/graph-api-standin.ts';
import { backends } from './support/services.ts';
import { ConnectSession, UpdateSession } from './support/session-operations.ts';
import { AutoReplyConversationMessages, newVisitorId, visitorBrowser, websiteSession } from './support/widget-operations.ts';

/** How long to wait for something that must not happen, once what would come before it has. */
const QUIET_MS = 300;
const TOKENS = ['Yes', ' we ship', ' to Porto.'];

for (const backend of backends()) {
  describe(`auto-replies (${backend.name})`, { skip: backend.skip, timeout: 90_000 }, () => {
    let agents: AgentStandin;
    let graph: GraphApiStandin;
    let app: RunningApp;
    let admin: Awaited<ReturnType<typeof signUpTenant>>;
    const start = async () => startApp({ ...(await backend.env()), GRAPH_API_BASE_URL: graph.url, TRUST_PROXY: '1' });
    before(async () => {
      [agents, graph] = await Promise.all([startAgentStandin(), startGraphApiStandin()]);
      app = await start();
      admin = await signUpTenant(app.client);
    });
    after(async () => {
      await app?.stop();
      await Promise.all([agents?.close(), graph?.close()]);
    });

    const agentAt = async (running: RunningApp, token: string, path: string) => {
      const input = { name: 'Shop helper', webhookUrl: agents.url(path), webhookToken: 'agent-secret', systemPrompt: 'Be brief.', config: { temperature: 0.1 } };
      return (await running.client.data(CreateAgent, { input }, { token })).createAgent;
    };
    const agentSite = async (path: string) => websiteSession(app, admin.token, { mode: 'AGENT', agentId: (await agentAt(app, admin.token, path)).id });
    /** A CONNECTED WhatsApp session with an access token the Graph API stand-in accepts. */
    const whatsappSession = async (running: RunningApp, token: string, autoReply: AutoReplyInput) => {
      const session = await connectChannelSession(running.client, token, 'WHATSAPP');
      const accessToken = `EAAG${randomUUID().replaceAll('-', '')}`;
      graph.acceptedTokens.add(accessToken);
      await running.client.data(UpdateSession, { id: session.id, input: { accessToken, autoReply } }, { token });
      await running.client.data(ConnectSession, { id: session.id }, { token });
      return { ...session, accessToken };
    };
    const sendsTo = (phoneNumberId: string) => graph.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/${phoneNumberId}/messages`));
    const messagesOf = async (conversationId: string) =>
      (await app.client.data(AutoReplyConversationMessages, { id: conversationId }, { token: admin.token })).conversation!.messages.edges.map(({ node }) => node);

    it('answers a website visitor through a stand-in agent, sending it the conversation so far', async () => {
      const site = await agentSite(`/sse?${new URLSearchParams({ tokens: TOKENS.join(',') })}`);
      const browser = visitorBrowser(app, { ...site, visitorId: newVisitorId() });
      const repliesAfter = async (text: string) => {
        const { message, conversationId } = (await browser.send(text)).data!.visitorMessage;
        const reply = await eventually(async () => (await browser.poll(message.id)).data!.visitorMessages[0], 10_000, 'the agent reply');
        return { message, conversationId, reply, request: agents.requests.find((request) => (request.body as { message_id?: string }).message_id === message.id) };
      };

      const first = await repliesAfter('Do you ship to Porto?');
      assert.deepEqual([first.reply.direction, first.reply.text, first.reply.status], ['OUTBOUND', TOKENS.join(''), 'SENT']);
      assert.equal(first.request?.headers.authorization, 'Bearer agent-secret');
      assert.deepEqual(withoutTimestamps(first.request?.body), {
        messages: [{ role: 'user', content: 'Do you ship to Porto?' }],
        system_prompt: 'Be brief.',
        config: { temperature: 0.1 },
        chat_id: first.conversationId,
        message_id: first.message.id,
      });

      const second = await repliesAfter('And to Faro?');
      assert.deepEqual(withoutTimestamps(second.request?.body).messages, [
        { role: 'user', content: 'Do you ship to Porto?' },
        { role: 'assistant', content: TOKENS.join('') },
        { role: 'user', content: 'And to Faro?' },
      ]);
    });

    it('sends nothing when the agent fails or answers nothing, or when auto-reply is OFF', async () => {
      const sites = [await agentSite('/status/500'), await agentSite('/json?tokens='), await websiteSession(app, admin.token)];
      for (const site of sites) {
        const browser = visitorBrowser(app, { ...site, visitorId: newVisitorId() });
        const { message, replies } = (await browser.send('Hello?')).data!.visitorMessage;
        assert.deepEqual(replies, []);
        await delay(QUIET_MS);
        assert.deepEqual((await browser.poll()).data!.visitorMessages.map((entry) => entry.id), [message.id]);
      }
      assert.equal(agents.requests.filter((request) => ['/status/500', '/json'].includes(request.path)).length, 2);
    });

    it('answers a signed WhatsApp message with the fixed text through the Graph API, once however often it is delivered', async () => {
      const reply = 'Olá! Respondemos já.';
      const session = await whatsappSession(app, admin.token, { mode: 'TEXT', text: reply });
      const payload = whatsappText(session.phoneNumberId, [{ from: '5511988887777', text: 'Oi, tudo bem?' }]);
      for (let delivery = 0; delivery < 2; delivery++) {
        assert.equal((await postWebhook(app.origin, 'whatsapp', session.id, payload, session)).status, 200);
      }
      const [sent] = await eventually(() => (sendsTo(session.phoneNumberId).length ? sendsTo(session.phoneNumberId) : undefined), 10_000, 'the reply');
      assert.deepEqual(sent!.body, { messaging_product: 'whatsapp', to: '5511988887777', type: 'text', text: { body: reply } });
      assert.equal(sent!.headers.authorization, `Bearer ${session.accessToken}`);

      const { conversations } = await app.client.data(ChannelConversations, { sessionId: session.id }, { token: admin.token });
      const stored = await eventually(async () => {
        const messages = await messagesOf(conversations.edges[0]!.node.id);
        return messages.length === 2 ? messages : undefined;
      });
      assert.deepEqual(stored.map((message) => [message.direction, message.text, message.status]), [
        ['INBOUND', 'Oi, tudo bem?', 'RECEIVED'],
        ['OUTBOUND', reply, 'SENT'],
      ]);
      assert.match(stored[1]!.providerMessageId ?? '', /^wamid\.standin/);
      await delay(QUIET_MS);
      assert.equal(sendsTo(session.phoneNumberId).length, 1, 'the redelivery was not answered again');
    });

    it('does not answer a message written longer ago than AUTO_REPLY_MAX_AGE_SECONDS, and answers a fresh one', async () => {
      const reply = 'We answer within the hour.';
      const session = await whatsappSession(app, admin.token, { mode: 'TEXT', text: reply });
      const lateWriter = '5511911112222';
      const freshWriter = '5511933334444';
      const late = whatsappText(session.phoneNumberId, [{ from: lateWriter, text: 'Written an hour ago', at: new Date(Date.now() - 3_600_000) }]);
      assert.equal((await postWebhook(app.origin, 'whatsapp', session.id, late, session)).status, 200);
      const fresh = whatsappText(session.phoneNumberId, [{ from: freshWriter, text: 'Written just now' }]);
      assert.equal((await postWebhook(app.origin, 'whatsapp', session.id, fresh, session)).status, 200);

      await eventually(() => (sendsTo(session.phoneNumberId).length ? true : undefined), 10_000, 'the reply to the fresh message');
      await delay(QUIET_MS);
      assert.deepEqual(sendsTo(session.phoneNumberId).map((request) => (request.body as { to: string }).to), [freshWriter]);
      const stored = await eventually(async () => {
        const { conversations } = await app.client.data(ChannelConversations, { sessionId: session.id }, { token: admin.token });
        const texts = await Promise.all(conversations.edges.map(async ({ node }) => (await messagesOf(node.id)).map((message) => [message.direction, message.text])));
        return texts.flat().length === 3 ? texts.flat() : undefined;
      });
      assert.deepEqual(stored.sort(), [['INBOUND', 'Written an hour ago'], ['INBOUND', 'Written just now'], ['OUTBOUND', reply]].sort(), 'the late message is stored, only not answered');
    });

    it("stores a reply the provider refuses as FAILED, with the provider's reason", async () => {
      const session = await whatsappSession(app, admin.token, { mode: 'TEXT', text: 'Thanks!' });
      graph.failWith({ status: 400, body: { error: { message: 'Recipient phone number not in allowed list', code: 131030 } } });
      try {
        const payload = whatsappText(session.phoneNumberId, [{ from: '5511977776666', text: 'Hello' }]);
        assert.equal((await postWebhook(app.origin, 'whatsapp', session.id, payload, session)).status, 200);
        await inboundProcessed(app);
        const { conversations } = await app.client.data(ChannelConversations, { sessionId: session.id }, { token: admin.token });
        const failed = await eventually(async () => (await messagesOf(conversations.edges[0]!.node.id)).find((message) => message.direction === 'OUTBOUND'));
        assert.equal(failed.status, 'FAILED');
        assert.match(failed.error ?? '', /Recipient phone number not in allowed list/);
        assert.doesNotMatch(failed.error ?? '', new RegExp(session.accessToken));
      } finally {
        graph.failWith(null);
      }
    });

    it('answers the provider before the agent does, hands an agent call in flight back on shutdown, and replies once after the restart', async () => {
      const env = { ...(await backend.env()), GRAPH_API_BASE_URL: graph.url, TRUST_PROXY: '1' };
      const stopping = await startApp(env);
      const owner = await signUpTenant(stopping.client);
      const agent = agents.controlled('/json');
      const agentPath = `/json?${new URLSearchParams({ tokens: 'Open until 6pm.' })}`;
      const session = await whatsappSession(stopping, owner.token, { mode: 'AGENT', agentId: (await agentAt(stopping, owner.token, agentPath)).id });
      const payload = whatsappText(session.phoneNumberId, [{ from: '5511966665555', text: 'Are you open?' }]);
      assert.equal((await postWebhook(stopping.origin, 'whatsapp', session.id, payload, session)).status, 200);
      await agent.arrived;
      const startedAt = Date.now();
      await stopping.stop();
      assert.ok(Date.now() - startedAt < 5_000, 'shutdown did not wait for the agent');
      assert.equal((await agent.closed).clientAborted, true);
      assert.deepEqual(sendsTo(session.phoneNumberId), []);

      const restarted = await startApp(env);
      try {
        const [sent] = await eventually(() => (sendsTo(session.phoneNumberId).length ? sendsTo(session.phoneNumberId) : undefined), 10_000, 'the reply');
        assert.deepEqual(sent!.body, { messaging_product: 'whatsapp', to: '5511966665555', type: 'text', text: { body: 'Open until 6pm.' } });
        await delay(QUIET_MS);
        assert.equal(sendsTo(session.phoneNumberId).length, 1, 'the reply went out once');
      } finally {
        await restarted.stop();
      }
    });
  });
}
