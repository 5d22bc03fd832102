import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateModelAgent, UpdateModelAgent } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { startChatCompletionsStandin, type ChatCompletionsStandin } from './support/chat-completions-standin.ts';
import { assertCode } from './support/client.ts';
import { addMember, eventually, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { Leads, SetLeadIntentAgent, UpdateLead } from './support/lead-operations.ts';
import { Login } from './support/operations.ts';
import { backends } from './support/services.ts';
import { newVisitorId, visitorBrowser, websiteSession } from './support/widget-operations.ts';

/** Short, so that the silent provider falls back to the rules quickly. */
const IDLE_TIMEOUT_MS = 1500;

for (const backend of backends()) {
  describe(`lead intent from the team's intent agent (${backend.name})`, { skip: backend.skip, timeout: 90_000 }, () => {
    let app: RunningApp;
    let provider: ChatCompletionsStandin;
    before(async () => {
      [app, provider] = await Promise.all([
        backend.env().then((env) => startApp({ ...env, AGENT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), TRUST_PROXY: '1' })),
        startChatCompletionsStandin(),
      ]);
    });
    after(() => Promise.all([app?.stop(), provider?.close()]));

    /** A team whose intent agent is a model of the stand-in, with a website session that does not auto-reply. */
    const teamWithIntentModel = async (model: string) => {
      const admin = await signUpTenant(app.client);
      const input = { name: `Classifier ${model}`, kind: 'OPENAI_COMPATIBLE' as const, baseUrl: provider.baseUrl, model };
      const agent = (await app.client.data(CreateModelAgent, { input }, { token: admin.token })).createAgent;
      const { setLeadIntentAgent } = await app.client.data(SetLeadIntentAgent, { agentId: agent.id }, { token: admin.token });
      assert.equal(setLeadIntentAgent.leadIntentAgentId, agent.id);
      const site = await websiteSession(app, admin.token);
      const visitor = visitorBrowser(app, { ...site, visitorId: newVisitorId() });
      return { admin, agent, site, visitor };
    };
    const leadsOf = async (token: string) => (await app.client.data(Leads, {}, { token })).leads.edges.map((edge) => edge.node);
    /** The lead once the intent job of `messageId` is finished. */
    const leadAfterIntentJob = async (token: string, messageId: string) => {
      await eventually(
        async () => {
          const job = await app.prisma().consumerJob.findFirst({ where: { consumer: 'leads.ai-intent', key: messageId } });
          return job?.status === 'DONE' ? job : undefined;
        },
        10_000,
        'the intent job to finish',
      );
      const [lead] = await leadsOf(token);
      return lead!;
    };
    const send = async (visitor: ReturnType<typeof visitorBrowser>, text: string) => (await visitor.send(text)).data!.visitorMessage.message.id;

    it("sets the model's verdict, shows its reason among the signals and records its tokens", async () => {
      const { admin, agent, visitor } = await teamWithIntentModel('verdict');
      const messageId = await send(visitor, 'hello there');
      const lead = await leadAfterIntentJob(admin.token, messageId);
      assert.deepEqual([lead.intent, lead.intentSource, lead.score], ['HOT', 'AI', 91]);
      assert.deepEqual(lead.signals.at(-1), { signal: 'ai_verdict', weight: 91, evidence: ['Asks for a quote for 40 units'] });

      const request = provider.requests.find((entry) => JSON.stringify(entry.body.messages).includes('hello there'))!;
      const [system, ...said] = request.body.messages as { role: string; content: string }[];
      assert.equal(system?.role, 'system');
      assert.match(system!.content, /Answer with one JSON object/);
      assert.deepEqual(said, [{ role: 'user', content: 'hello there' }]);
      const usage = await app.prisma().agentUsage.findMany({ where: { agentId: agent.id } });
      assert.deepEqual(usage.map((row) => [row.purpose, row.replyToId]), [['LEAD_INTENT', messageId]]);
    });

    it('reads a verdict in a Markdown fence, and falls back to the rules, saying why, on garbage, a bad verdict, a timeout or a 429', async () => {
      const fenced = await teamWithIntentModel('verdict-fenced');
      const warm = await leadAfterIntentJob(fenced.admin.token, await send(fenced.visitor, 'how much is it compared to others?'));
      assert.deepEqual([warm.intent, warm.intentSource, warm.score, warm.signals.at(-1)?.evidence], ['WARM', 'AI', 35, ['Compares prices']]);

      const cases: [model: string, why: RegExp][] = [
        ['prose', /^The intent agent's answer holds no JSON object$/],
        ['verdict-bad', /^The intent agent's verdict is invalid: intent/],
        ['silent', /did not answer within 1\.5 s/],
        ['busy', /rate limiting this agent \(HTTP 429\); try again in 7 s/],
      ];
      const leads = await Promise.all(
        cases.map(async ([model]) => {
          const { admin, visitor } = await teamWithIntentModel(model);
          return leadAfterIntentJob(admin.token, await send(visitor, 'hello there'));
        }),
      );
      cases.forEach(([model, why], index) => {
        const lead = leads[index]!;
        assert.deepEqual([lead.intent, lead.intentSource], ['COLD', 'RULES'], model);
        const fallback = lead.signals.at(-1)!;
        assert.deepEqual([fallback.signal, fallback.weight], ['ai_unavailable', 0], model);
        assert.match(fallback.evidence[0] ?? '', why, model);
      });
    });

    it('leaves an intent a team member set alone, without asking the model', async () => {
      const { admin, visitor } = await teamWithIntentModel('verdict');
      const first = await leadAfterIntentJob(admin.token, await send(visitor, 'first words'));
      assert.equal(first.intentSource, 'AI');
      await app.client.data(UpdateLead, { id: first.id, input: { intent: 'COLD' } }, { token: admin.token });
      const asked = provider.requests.length;
      const lead = await leadAfterIntentJob(admin.token, await send(visitor, 'I want to buy 40 units, send me a quote today'));
      assert.deepEqual([lead.intent, lead.intentSource], ['COLD', 'OVERRIDE']);
      assert.equal(provider.requests.length, asked, 'the model was not asked');
    });

    it("takes only the team's own active agents, from admins; with none active, the rules take the intent back", async () => {
      const { admin, visitor, agent: intentAgent } = await teamWithIntentModel('verdict');
      const stranger = await signUpTenant(app.client, 'Other team');
      const theirs = (await app.client.data(CreateModelAgent, { input: { name: 'Theirs', kind: 'OPENAI_COMPATIBLE', baseUrl: provider.baseUrl, model: 'verdict' } }, { token: stranger.token })).createAgent;
      assertCode(await app.client.request(SetLeadIntentAgent, { agentId: theirs.id }, { token: admin.token }), 'BAD_USER_INPUT', 'agentId');
      const { email } = await addMember(app.client, admin.token);
      const member = (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken;
      assertCode(await app.client.request(SetLeadIntentAgent, { agentId: null }, { token: member }), 'FORBIDDEN');

      const lead = await leadAfterIntentJob(admin.token, await send(visitor, 'hello there'));
      assert.equal(lead.intentSource, 'AI');
      // A deactivated intent agent decides nothing: the rules take the intent back at the next message.
      await app.client.data(UpdateModelAgent, { id: intentAgent.id, input: { isActive: false } }, { token: admin.token });
      await send(visitor, 'just browsing');
      const back = await eventually(async () => {
        const [current] = await leadsOf(admin.token);
        return current?.intentSource === 'RULES' ? current : undefined;
      }, 10_000, 'the rules to take the intent back');
      assert.equal(back.intent, 'COLD');
      assert.equal(back.signals.some((signal) => signal.signal.startsWith('ai_')), false);
      const { setLeadIntentAgent } = await app.client.data(SetLeadIntentAgent, { agentId: null }, { token: admin.token });
      assert.equal(setLeadIntentAgent.leadIntentAgentId, null);
    });
  });
}
