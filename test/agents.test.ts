import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { print } from 'graphql';
import type { CreateAgentInput, UpdateAgentInput, UploadAgentAvatarMutation } from './generated/graphql.ts';
import { AgentById, Agents, CreateAgent, DeleteAgent, RemoveAgentAvatar, UpdateAgent, UploadAgentAvatar } from './support/agent-operations.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { assertCode, type GraphQLErrorShape, type GraphQLResult } from './support/client.ts';
import { bodyOf, createEndpoint } from './support/deliveries.ts';
import { addMember, createKey, PASSWORD, signUpTenant } from './support/fixtures.ts';
import { AuditEvents, Login } from './support/operations.ts';
import { images, pngOfSize } from './support/images.ts';
import { startReceiver } from './support/receiver.ts';
import { backends } from './support/services.ts';

const HOOK = 'http://127.0.0.1:9/agent';
const TOKEN = 'tok_never-to-be-seen-again_42';
const MB2 = 2 * 1024 * 1024;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

type Auth = { token?: string; apiKey?: string };
type UploadResult = GraphQLResult<UploadAgentAvatarMutation> & { raw: string };

for (const backend of backends()) {
  describe(`agents (${backend.name})`, { skip: backend.skip }, () => {
    let app: RunningApp;
    before(async () => {
      app = await startApp(await backend.env());
    });
    after(() => app?.stop());

    const headersOf = ({ token, apiKey }: Auth): Record<string, string> => ({
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(apiKey ? { 'x-api-key': apiKey } : {}),
    });
    const create = (auth: Auth, input: CreateAgentInput) => app.client.request(CreateAgent, { input }, auth);
    const created = async (token: string, input: Partial<CreateAgentInput> = {}) =>
      (await app.client.data(CreateAgent, { input: { name: 'Helper', webhookUrl: HOOK, ...input } }, { token })).createAgent;
    const listed = async (token: string, includeInactive?: boolean) => (await app.client.data(Agents, { includeInactive }, { token })).agents;
    /** A GraphQL multipart request (operations, map, 0), as Apollo's and urql's upload links send it. */
    const upload = async (auth: Auth, id: string, bytes: Uint8Array, name = 'avatar.png', type = 'image/png'): Promise<UploadResult> => {
      const form = new FormData();
      form.set('operations', JSON.stringify({ query: print(UploadAgentAvatar), variables: { id, file: null } }));
      form.set('map', JSON.stringify({ 0: ['variables.file'] }));
      form.set('0', new File([new Uint8Array(bytes)], name, { type }));
      const response = await fetch(`${app.origin}/graphql`, { method: 'POST', headers: headersOf(auth), body: form });
      const raw = await response.text();
      const body = JSON.parse(raw) as { data?: UploadAgentAvatarMutation | null; errors?: GraphQLErrorShape[] };
      return { status: response.status, data: body.data, errors: body.errors, headers: response.headers, raw };
    };
    const uploaded = async (token: string, id: string, bytes: Uint8Array) => {
      const result = await upload({ token }, id, bytes);
      assert.equal(result.errors, undefined, result.raw);
      return result.data!.uploadAgentAvatar;
    };
    const fetchAvatar = (url: string) => fetch(`${app.origin}${url}`);

    it('creates, lists by name, reads, updates and deletes agents; the webhook token goes in and never comes out', async () => {
      const { token } = await signUpTenant(app.client);
      const responses: unknown[] = [];
      const input = {
        name: ' Support bot ',
        description: 'Answers support questions',
        webhookUrl: HOOK,
        webhookToken: TOKEN,
        systemPrompt: 'Be kind.',
        config: { model: 'small', temperature: 0.2, tools: ['search'] },
      };
      const first = await create({ token }, input);
      responses.push(first);
      const agent = first.data!.createAgent;
      const { id: _id, createdAt: _createdAt, updatedAt: _updatedAt, ...fields } = agent;
      const { webhookToken: _token, ...shown } = input;
      assert.deepEqual(fields, {
        ...shown,
        name: 'Support bot',
        kind: 'WEBHOOK',
        hasWebhookToken: true,
        baseUrl: null,
        model: null,
        hasApiKey: false,
        isActive: true,
        avatarUrl: null,
      });
      const plain = await created(token, { name: 'Alpha' });
      assert.deepEqual([plain.hasWebhookToken, plain.config, plain.description, plain.systemPrompt], [false, {}, null, null]);
      assert.deepEqual((await listed(token)).map((listedAgent) => listedAgent.name), ['Alpha', 'Support bot']);
      const read = await app.client.request(AgentById, { id: agent.id }, { token });
      responses.push(read);
      assert.deepEqual(read.data!.agent, agent);

      const rename = await app.client.request(UpdateAgent, { id: agent.id, input: { name: 'Renamed', description: null } }, { token });
      responses.push(rename);
      const renamed = rename.data!.updateAgent;
      assert.deepEqual([renamed.name, renamed.description, renamed.hasWebhookToken, renamed.config], ['Renamed', null, true, input.config]);
      assert.ok(Date.parse(renamed.updatedAt) >= Date.parse(agent.updatedAt));
      const cleared = await app.client.data(UpdateAgent, { id: agent.id, input: { webhookToken: null } }, { token });
      assert.equal(cleared.updateAgent.hasWebhookToken, false);
      const again = await app.client.data(UpdateAgent, { id: agent.id, input: { webhookToken: 'another-token' } }, { token });
      assert.equal(again.updateAgent.hasWebhookToken, true);
      assert.ok(responses.every((response) => !JSON.stringify(response).includes(TOKEN)));

      assert.equal((await app.client.data(DeleteAgent, { id: agent.id }, { token })).deleteAgent, agent.id);
      assertCode(await app.client.request(AgentById, { id: agent.id }, { token }), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteAgent, { id: agent.id }, { token }), 'NOT_FOUND');
      assert.deepEqual((await listed(token, true)).map((listedAgent) => listedAgent.id), [plain.id]);
    });

    it('leaves inactive agents out of agents unless includeInactive is true', async () => {
      const { token } = await signUpTenant(app.client);
      const active = await created(token, { name: 'Active' });
      const dormant = await created(token, { name: 'Dormant', isActive: false });
      const paused = await created(token, { name: 'Paused' });
      await app.client.data(UpdateAgent, { id: paused.id, input: { isActive: false } }, { token });
      assert.deepEqual((await listed(token)).map((agent) => agent.id), [active.id]);
      assert.deepEqual((await listed(token, false)).map((agent) => agent.id), [active.id]);
      assert.deepEqual((await listed(token, true)).map((agent) => agent.id), [active.id, dormant.id, paused.id]);
      assert.equal((await app.client.data(AgentById, { id: dormant.id }, { token })).agent?.isActive, false);
    });

    it('rejects bad input with BAD_USER_INPUT naming the field, and stores nothing', async () => {
      const { token } = await signUpTenant(app.client);
      const valid = { name: 'Bot', webhookUrl: HOOK };
      const cases: [Partial<CreateAgentInput>, string][] = [
        [{ name: '' }, 'name'],
        [{ name: '  ' }, 'name'],
        [{ name: 'n'.repeat(101) }, 'name'],
        [{ description: 'd'.repeat(1001) }, 'description'],
        [{ webhookUrl: '' }, 'webhookUrl'],
        [{ webhookUrl: 'not a url' }, 'webhookUrl'],
        [{ webhookUrl: 'ftp://127.0.0.1/agent' }, 'webhookUrl'],
        [{ webhookUrl: 'http://user:pass@127.0.0.1/agent' }, 'webhookUrl'],
        [{ webhookUrl: 'http://10.0.0.1/agent' }, 'webhookUrl'],
        [{ webhookToken: '' }, 'webhookToken'],
        [{ webhookToken: 't'.repeat(1001) }, 'webhookToken'],
        [{ webhookToken: 'two words' }, 'webhookToken'],
        [{ systemPrompt: 'p'.repeat(20_001) }, 'systemPrompt'],
        [{ config: [1, 2] }, 'config'],
        [{ config: 'text' }, 'config'],
        [{ config: { big: 'x'.repeat(64 * 1024) } }, 'config'],
        [{ config: { nul: 'a\u0000b' } }, 'config'],
      ];
      for (const [input, field] of cases) assertCode(await create({ token }, { ...valid, ...input }), 'BAD_USER_INPUT', field);
      assert.deepEqual(await listed(token, true), []);

      const agent = await created(token, { name: 'n'.repeat(100), systemPrompt: 'p'.repeat(20_000), webhookToken: TOKEN });
      const update = (input: UpdateAgentInput) => app.client.request(UpdateAgent, { id: agent.id, input }, { token });
      assertCode(await update({ name: ' ' }), 'BAD_USER_INPUT', 'name');
      assertCode(await update({ webhookUrl: 'http://169.254.169.254/latest' }), 'BAD_USER_INPUT', 'webhookUrl');
      assertCode(await update({ config: [] }), 'BAD_USER_INPUT', 'config');
      assertCode(await update({ webhookToken: '' }), 'BAD_USER_INPUT', 'webhookToken');
      assert.deepEqual((await app.client.data(AgentById, { id: agent.id }, { token })).agent, agent);
    });

    it('lets members and read-only keys read agents, and only admins (or keys with agents:write) change them', async () => {
      const { token } = await signUpTenant(app.client);
      const agent = await created(token);
      const { email } = await addMember(app.client, token);
      const member = { token: (await app.client.data(Login, { input: { email, password: PASSWORD } })).login.accessToken };
      assert.deepEqual((await listed(member.token)).map((listedAgent) => listedAgent.id), [agent.id]);
      assert.equal((await app.client.data(AgentById, { id: agent.id }, member)).agent?.id, agent.id);

      const reader = { apiKey: (await createKey(app.client, token, ['agents:read'])).key };
      assert.equal((await app.client.data(Agents, {}, reader)).agents.length, 1);
      for (const auth of [member, reader]) {
        assertCode(await create(auth, { name: 'Mine', webhookUrl: HOOK }), 'FORBIDDEN');
        assertCode(await app.client.request(UpdateAgent, { id: agent.id, input: { name: 'Mine' } }, auth), 'FORBIDDEN');
        assertCode(await app.client.request(DeleteAgent, { id: agent.id }, auth), 'FORBIDDEN');
        assertCode(await app.client.request(RemoveAgentAvatar, { id: agent.id }, auth), 'FORBIDDEN');
        assertCode(await upload(auth, agent.id, images['image/png']), 'FORBIDDEN');
      }
      assert.deepEqual((await app.client.data(AgentById, { id: agent.id }, { token })).agent, agent);

      const writer = { apiKey: (await createKey(app.client, token, ['agents:write'])).key };
      assert.equal((await create(writer, { name: 'Via key', webhookUrl: HOOK })).data?.createAgent.name, 'Via key');
      assert.equal((await upload(writer, agent.id, images['image/gif'])).errors, undefined);
    });

    it("answers NOT_FOUND for another tenant's agent on every operation and never lists it", async () => {
      const a = await signUpTenant(app.client, 'Alpha');
      const b = { token: (await signUpTenant(app.client, 'Beta')).token };
      const agent = await created(a.token, { webhookToken: TOKEN });
      await created(b.token, { name: 'Own' });
      assertCode(await app.client.request(AgentById, { id: agent.id }, b), 'NOT_FOUND');
      assertCode(await app.client.request(UpdateAgent, { id: agent.id, input: { name: 'Stolen' } }, b), 'NOT_FOUND');
      assertCode(await app.client.request(DeleteAgent, { id: agent.id }, b), 'NOT_FOUND');
      assertCode(await upload(b, agent.id, images['image/png']), 'NOT_FOUND');
      assertCode(await app.client.request(RemoveAgentAvatar, { id: agent.id }, b), 'NOT_FOUND');
      assertCode(await app.client.request(AgentById, { id: 'not-an-id' }, b), 'NOT_FOUND');
      assert.deepEqual((await listed(b.token, true)).map((listedAgent) => listedAgent.name), ['Own']);
      assert.deepEqual((await app.client.data(AgentById, { id: agent.id }, { token: a.token })).agent, agent);
    });

    it('sends agent.created, agent.updated and agent.deleted to webhook endpoints and audits them, never with the token', async () => {
      const { token, user } = await signUpTenant(app.client);
      const receiver = await startReceiver();
      try {
        await createEndpoint(app.client, token, receiver.url(), ['agent.created', 'agent.updated', 'agent.deleted']);
        const agent = await created(token, { webhookToken: TOKEN, config: { tone: 'warm' } });
        const updated = (await app.client.data(UpdateAgent, { id: agent.id, input: { systemPrompt: 'Short answers.' } }, { token })).updateAgent;
        const withAvatar = await uploaded(token, agent.id, images['image/png']);
        await app.client.data(DeleteAgent, { id: agent.id }, { token });

        const deliveries = await receiver.waitFor('/hook', 4);
        assert.ok(deliveries.every((delivery) => !delivery.body.includes(TOKEN)));
        const bodies = deliveries.map(bodyOf);
        const dataOf = (type: string) => bodies.filter((body) => body.type === type).map((body) => body.data);
        assert.deepEqual(dataOf('agent.created'), [agent]);
        assert.deepEqual(new Set(dataOf('agent.updated')), new Set([updated, withAvatar]));
        assert.deepEqual(dataOf('agent.deleted'), [withAvatar]);
      } finally {
        await receiver.close();
      }

      const { auditEvents } = await app.client.data(AuditEvents, { first: 10 }, { token });
      const audited = auditEvents.edges.map((edge) => edge.node).filter((event) => event.type.startsWith('AGENT_'));
      assert.deepEqual(audited.map((event) => [event.type, (event.data as { fields?: string[] }).fields]), [
        ['AGENT_DELETED', undefined],
        ['AGENT_UPDATED', ['avatar']],
        ['AGENT_UPDATED', ['systemPrompt']],
        ['AGENT_CREATED', undefined],
      ]);
      assert.ok(audited.every((event) => event.actor.id === user.id && !JSON.stringify(event).includes(TOKEN)));
    });

    it('accepts PNG, JPEG, GIF and WebP by their bytes and serves each from a public, immutable URL until replaced', async () => {
      const { token } = await signUpTenant(app.client);
      const agent = await created(token);
      let previous: string | null = null;
      for (const [type, bytes] of Object.entries(images)) {
        const result = await upload({ token }, agent.id, bytes, 'picture.bin', 'application/octet-stream');
        assert.equal(result.errors, undefined, result.raw);
        const { avatarUrl } = result.data!.uploadAgentAvatar;
        assert.equal(avatarUrl, `/avatars/agents/${agent.id}/${sha256(bytes)}`);
        const served = await fetchAvatar(avatarUrl!);
        assert.equal(served.status, 200);
        assert.deepEqual(Buffer.from(await served.arrayBuffer()), Buffer.from(bytes));
        assert.equal(served.headers.get('content-type'), type);
        assert.equal(served.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.equal(served.headers.get('x-content-type-options'), 'nosniff');
        if (previous) assert.equal((await fetchAvatar(previous)).status, 404, 'the replaced avatar is gone');
        previous = avatarUrl;
      }
      assert.equal((await fetchAvatar(`/avatars/agents/${agent.id}/${'0'.repeat(64)}`)).status, 404);
      assert.equal((await fetchAvatar(previous!.replace(agent.id, (await created(token)).id))).status, 404);
      assert.equal((await app.client.data(AgentById, { id: agent.id }, { token })).agent?.avatarUrl, previous);

      const removed = (await app.client.data(RemoveAgentAvatar, { id: agent.id }, { token })).removeAgentAvatar;
      assert.equal(removed.avatarUrl, null);
      assert.equal((await fetchAvatar(previous!)).status, 404);
    });

    it('refuses non-images whatever their name, and images over 2 MB, with BAD_USER_INPUT on file; 413 beyond the upload limit', async () => {
      const { token } = await signUpTenant(app.client);
      const agent = await created(token);
      const text = await upload({ token }, agent.id, Buffer.from('definitely not a picture'), 'x.png', 'image/png');
      assertCode(text, 'BAD_USER_INPUT', 'file');
      assert.match(text.errors![0]!.message, /PNG, JPEG, GIF or WebP/);
      const svg = await upload({ token }, agent.id, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'a.svg', 'image/svg+xml');
      assertCode(svg, 'BAD_USER_INPUT', 'file');
      const tooBig = await upload({ token }, agent.id, pngOfSize(MB2 + 1));
      assertCode(tooBig, 'BAD_USER_INPUT', 'file');
      assert.match(tooBig.errors![0]!.message, /2097152 bytes/);
      assert.equal((await app.client.data(AgentById, { id: agent.id }, { token })).agent?.avatarUrl, null);

      const largest = pngOfSize(MB2);
      const { avatarUrl } = await uploaded(token, agent.id, largest);
      assert.deepEqual(Buffer.from(await (await fetchAvatar(avatarUrl!)).arrayBuffer()), largest);

      // A multipart body may be as large as the largest file any upload takes (a chat attachment, 10 MB) plus 1 MB.
      const beyond = await upload({ token }, agent.id, pngOfSize(12 * 1024 * 1024));
      assert.equal(beyond.status, 413);
      const json = await fetch(`${app.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headersOf({ token }) },
        body: JSON.stringify({ query: '{ agents { id } }', padding: 'x'.repeat(app.config.maxBodyBytes) }),
      });
      assert.equal(json.status, 413, 'JSON bodies keep their own limit');
    });
  });
}
