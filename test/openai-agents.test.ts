import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentUsageByDay, CreateModelAgent, ReplyUsage, UpdateModelAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { CreateChat } from './support/chat-operations.ts';
import { echoTokens, PROMPT_TOKENS, startChatCompletionsStandin, type ChatCompletionsStandin } from './support/chat-completions-standin.ts';
import { assertCode, collect, wsClient } from './support/client.ts';
import { finalReply } from './support/conversations.ts';
import { eventually, signUpTenant } from './support/fixtures.ts';
import { backends } from './support/services.ts';
import { OnMessageStream, SendMessage } from './support/stream-operations.ts';
import { newVisitorId, visitorBrowser, websiteSession } from './support/widget-operations.ts';

const API_KEY = 'sk-standin-0123456789';
/** Short, so that the silent provider fails the reply quickly. */
const IDLE_TIMEOUT_MS = 1500;

for (const backend of backends()) {
  describe(`OPENAI_COMPATIBLE agents (${backend.name})`, { skip: backend.skip, timeout: 120_000 }, () => {
    let app: RunningApp;
    let provider: ChatCompletionsStandin;
    before(async () => {
      [app, provider] = await Promise.all([
        backend.env().then((env) => startApp({ ...env, AGENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) })),
        startChatCompletionsStandin(),
      ]);
    });
    after(() => Promise.all([app?.stop(), provider?.close()]));
    /** A webhook URL the test server allows (on loopback, as the stand-in is). */
    const hookUrl = () => provider.baseUrl.replace('/v1', '/webhook');

    const modelAgent = async (token: string, model: string, extra: Record<string, unknown> = {}) =>
      (
        await app.client.data(
          CreateModelAgent,
          { input: { name: `Model ${model}`, kind: 'OPENAI_COMPATIBLE', baseUrl: provider.baseUrl, model, apiKey: API_KEY, ...extra } },
          { token },
        )
      ).createAgent;
    const chatWith = async (token: string, agentId: string) =>
      (await app.client.data(CreateChat, { input: { agentId, title: 'Model chat' } }, { token })).createChat.id;
    /** Sends `content` and answers the reply once it is final, with its usage. */
    const ask = async (token: string, chatId: string, content: string) => {
      const { sendMessage } = await app.client.data(SendMessage, { input: { chatId, content } }, { token });
      const id = sendMessage.assistantMessage.id;
      await finalReply(app, token, chatId, id, 10_000);
      const { chat } = await app.client.data(ReplyUsage, { chatId }, { token });
      return chat!.messages.edges.map((edge) => edge.node).find((node) => node.id === id)!;
    };

    it('streams a chat completion token by token, sending the model, system prompt, history, config and API key', async () => {
      const admin = await signUpTenant(app.client);
      const agent = await modelAgent(admin.token, 'echo', { systemPrompt: 'Be brief.', config: { temperature: 0.3, model: 'not-this-one' } });
      assert.deepEqual(agent, {
        id: agent.id,
        kind: 'OPENAI_COMPATIBLE',
        webhookUrl: `${provider.baseUrl}/chat/completions`,
        hasWebhookToken: false,
        baseUrl: provider.baseUrl,
        model: 'echo',
        hasApiKey: true,
        config: { temperature: 0.3, model: 'not-this-one' },
      });
      const events = await app.prisma().outboxEvent.findMany({ where: { type: 'agent.created' } });
      const created = events.find((event) => JSON.stringify(event.data).includes(agent.id));
      assert.deepEqual(created && [(created.data as { kind: string }).kind, (created.data as { hasApiKey: boolean }).hasApiKey], ['OPENAI_COMPATIBLE', true]);
      assert.ok(events.every((event) => !JSON.stringify(event.data).includes(API_KEY)), 'the API key is in no event');
      const chatId = await chatWith(admin.token, agent.id);
      const { sendMessage } = await app.client.data(SendMessage, { input: { chatId, content: 'Hi there' } }, { token: admin.token });
      const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${admin.token}` });
      try {
        const stream = collect(client, OnMessageStream, { messageId: sendMessage.assistantMessage.id });
        const events = (await stream.untilComplete(10_000)).map((event) => event.messageStream);
        const tokens = events.filter((event) => event.type === 'TOKEN').map((event) => event.delta);
        assert.deepEqual(tokens, echoTokens([{ role: 'user', content: 'Hi there' }]), 'each chunk is a TOKEN event, in order');
        assert.deepEqual([events.at(-1)!.type, events.at(-1)!.status, events.at(-1)!.message?.content], ['DONE', 'COMPLETED', 'You said: Hi there']);
      } finally {
        await client.dispose();
      }

      const request = provider.requests.at(-1)!;
      assert.equal(request.headers.authorization, `Bearer ${API_KEY}`);
      assert.deepEqual(request.body, {
        stream_options: { include_usage: true },
        temperature: 0.3,
        model: 'echo',
        stream: true,
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi there' },
        ],
      });
      const second = await ask(admin.token, chatId, 'And now?');
      assert.equal(second.content, 'You said: And now?');
      assert.deepEqual((provider.requests.at(-1)!.body.messages as unknown[]).slice(1), [
        { role: 'user', content: 'Hi there' },
        { role: 'assistant', content: 'You said: Hi there' },
        { role: 'user', content: 'And now?' },
      ]);
    });

    it('stores the tokens of each reply and sums them per agent and day in analytics, for the team alone', async () => {
      const admin = await signUpTenant(app.client);
      const stranger = await signUpTenant(app.client, 'Other team');
      const echo = await modelAgent(admin.token, 'echo');
      const whole = await modelAgent(admin.token, 'whole');
      const echoChat = await chatWith(admin.token, echo.id);
      for (const content of ['one', 'two']) {
        const reply = await ask(admin.token, echoChat, content);
        assert.deepEqual(reply.usage, { promptTokens: PROMPT_TOKENS, completionTokens: 4 });
      }
      const unstreamed = await ask(admin.token, await chatWith(admin.token, whole.id), 'whole please');
      assert.deepEqual([unstreamed.status, unstreamed.content, unstreamed.usage], ['COMPLETED', 'You said: whole please', { promptTokens: PROMPT_TOKENS, completionTokens: 4 }]);

      const { analyticsAgentUsage } = await app.client.data(AgentUsageByDay, {}, { token: admin.token });
      const today = new Date(new Date().toISOString().slice(0, 10)).toISOString();
      const byAgent = Object.fromEntries(analyticsAgentUsage.map((row) => [row.agentId, row]));
      assert.deepEqual(byAgent[echo.id], { day: today, agentId: echo.id, agentName: 'Model echo', calls: 2, promptTokens: 2 * PROMPT_TOKENS, completionTokens: 8 });
      assert.deepEqual(byAgent[whole.id], { day: today, agentId: whole.id, agentName: 'Model whole', calls: 1, promptTokens: PROMPT_TOKENS, completionTokens: 4 });
      assert.deepEqual((await app.client.data(AgentUsageByDay, {}, { token: stranger.token })).analyticsAgentUsage, [], "another team's usage is not counted");
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
      const later = await app.client.data(AgentUsageByDay, { from: tomorrow, to: new Date(Date.now() + 2 * 86_400_000).toISOString() }, { token: admin.token });
      assert.deepEqual(later.analyticsAgentUsage, [], 'only the range counts');
    });

    it("ends the reply with a readable reason for each of the provider's failures, keeping what arrived, and never hangs", async () => {
      const admin = await signUpTenant(app.client);
      const cases: [model: string, reason: RegExp, content: string][] = [
        ['unauthorized', /^The provider refused the API key \(HTTP 401\)/, ''],
        ['busy', /^The provider is rate limiting this agent \(HTTP 429\); try again in 7 s$/, ''],
        ['broken', /^The provider failed \(HTTP 503\): The engine is currently overloaded/, ''],
        ['missing', /^The provider does not know this model or URL \(HTTP 404\): The model `missing` does not exist$/, ''],
        ['long', /token limit \(finish_reason: length\)/, 'Once upon a time'],
        ['filtered', /content filter stopped the reply \(finish_reason: content_filter\)/, 'I cannot'],
        ['cutoff', /^The connection to the agent broke off$/, 'Half a'],
        ['silent', /did not answer within 1\.5 s/, ''],
        ['garbage', /^The provider sent a malformed event \(its data is not JSON\)$/, ''],
        ['leaky', /^The provider refused the request \(HTTP 400\): Invalid key \[redacted\] for this project$/, ''],
        ['tools', /asked to call a tool \(finish_reason: tool_calls\)/, ''],
        ['error-event', /^The provider reported an error: Upstream model crashed$/, ''],
      ];
      const replies = await Promise.all(
        cases.map(async ([model]) => ask(admin.token, await chatWith(admin.token, (await modelAgent(admin.token, model)).id), 'Tell me a story')),
      );
      cases.forEach(([model, reason, content], index) => {
        const reply = replies[index]!;
        assert.equal(reply.status, 'FAILED', model);
        assert.match(reply.error ?? '', reason, model);
        assert.equal(reply.content, content, model);
        assert.doesNotMatch(reply.error ?? '', /sk-/, `${model}: no part of a key in the reason`);
      });
      const long = replies[cases.findIndex(([model]) => model === 'long')]!;
      assert.deepEqual(long.usage, { promptTokens: PROMPT_TOKENS, completionTokens: 2 }, 'a cut-off reply still counts its tokens');

      const noDone = await ask(admin.token, await chatWith(admin.token, (await modelAgent(admin.token, 'no-done')).id), 'Hi');
      assert.deepEqual([noDone.status, noDone.content], ['COMPLETED', 'You said: Hi'], 'a finish_reason without [DONE] completes');
    });

    it('refuses incomplete or mixed settings and private base URLs with the field named, storing nothing', async () => {
      const admin = await signUpTenant(app.client);
      const base = { name: 'Bad', kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model: 'echo' };
      const refusals: [input: Record<string, unknown>, field: string][] = [
        [{ ...base, baseUrl: undefined }, 'baseUrl'],
        [{ ...base, model: undefined }, 'model'],
        [{ ...base, model: '  ' }, 'model'],
        [{ ...base, webhookUrl: hookUrl() }, 'webhookUrl'],
        [{ ...base, webhookToken: 'secret' }, 'webhookToken'],
        [{ ...base, apiKey: 'has spaces' }, 'apiKey'],
        [{ ...base, baseUrl: 'http://10.1.2.3/v1' }, 'baseUrl'],
        [{ ...base, baseUrl: 'ftp://models.example.com/v1' }, 'baseUrl'],
        [{ ...base, baseUrl: `${provider.baseUrl}?api-version=1` }, 'baseUrl'],
        [{ name: 'Bad', apiKey: 'sk-x', webhookUrl: hookUrl() }, 'apiKey'],
        [{ name: 'Bad', model: 'echo', webhookUrl: hookUrl() }, 'model'],
        [{ name: 'Bad' }, 'webhookUrl'],
      ];
      for (const [input, field] of refusals) {
        assertCode(await app.client.request(CreateModelAgent, { input: input as never }, { token: admin.token }), 'BAD_USER_INPUT', field);
      }
      const tenantId = (await app.prisma().user.findFirstOrThrow({ where: { email: admin.email } })).tenantId;
      assert.equal(await app.prisma().agent.count({ where: { tenantId } }), 0);
    });

    it('switches kinds with the new kind\'s settings, dropping the old ones; another team cannot touch the agent', async () => {
      const admin = await signUpTenant(app.client);
      const stranger = await signUpTenant(app.client, 'Other team');
      const agent = await modelAgent(admin.token, 'echo');
      const update = (input: Record<string, unknown>, token = admin.token) => app.client.request(UpdateModelAgent, { id: agent.id, input: input as never }, { token });

      assertCode(await update({ kind: 'WEBHOOK' }), 'BAD_USER_INPUT', 'webhookUrl');
      assertCode(await update({ webhookUrl: hookUrl() }), 'BAD_USER_INPUT', 'webhookUrl');
      assertCode(await update({ model: 'whole' }, stranger.token), 'NOT_FOUND');
      const renamed = (await update({ model: 'whole', apiKey: null })).data!.updateAgent;
      assert.deepEqual([renamed.model, renamed.hasApiKey, renamed.baseUrl], ['whole', false, provider.baseUrl]);

      const webhook = (await update({ kind: 'WEBHOOK', webhookUrl: hookUrl(), webhookToken: 'tok' })).data!.updateAgent;
      assert.deepEqual(webhook, {
        id: agent.id,
        kind: 'WEBHOOK',
        webhookUrl: hookUrl(),
        hasWebhookToken: true,
        baseUrl: null,
        model: null,
        hasApiKey: false,
        config: {},
      });
      assertCode(await update({ kind: 'OPENAI_COMPATIBLE', baseUrl: provider.baseUrl }), 'BAD_USER_INPUT', 'model');
      const back = (await update({ kind: 'OPENAI_COMPATIBLE', baseUrl: `${provider.baseUrl}/`, model: 'echo', apiKey: API_KEY })).data!.updateAgent;
      assert.deepEqual([back.kind, back.webhookUrl, back.hasWebhookToken, back.hasApiKey], ['OPENAI_COMPATIBLE', `${provider.baseUrl}/chat/completions`, false, true]);
      const stored = await app.prisma().agent.findUniqueOrThrow({ where: { id: agent.id } });
      assert.equal(stored.webhookToken, null, "the webhook's token went with its kind");
    });

    it('auto-replies to a website visitor through the model, recording its tokens', async () => {
      const admin = await signUpTenant(app.client);
      const agent = await modelAgent(admin.token, 'echo');
      const site = await websiteSession(app, admin.token, { mode: 'AGENT', agentId: agent.id });
      const browser = visitorBrowser(app, { ...site, visitorId: newVisitorId() });
      const { message } = (await browser.send('Do you ship to Porto?')).data!.visitorMessage;
      const reply = await eventually(async () => (await browser.poll(message.id)).data!.visitorMessages[0], 10_000, 'the auto-reply');
      assert.deepEqual([reply.direction, reply.text], ['OUTBOUND', 'You said: Do you ship to Porto?']);
      const usage = await app.prisma().agentUsage.findMany({ where: { agentId: agent.id } });
      assert.deepEqual(
        usage.map((row) => [row.purpose, row.replyToId, row.promptTokens, row.completionTokens]),
        [['AUTO_REPLY', message.id, PROMPT_TOKENS, 4]],
      );
    });
  });
}
