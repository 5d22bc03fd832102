import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { DEMO_AGENT_PATH, DEMO_MODEL_BASE_PATH, demoReply, isDemoAgentUrl } from '../src/http/demo-agent.ts';
import { demoModelReply } from '../src/http/demo-model.ts';
import { createLogger } from '../src/logger.ts';
import { DEMO, seedDemo, SeedRefusedError, type DemoSeed } from '../src/seed/demo-tenant.ts';
import { startApp, type RunningApp } from './support/app.ts';
import { ChatById, CreateChat } from './support/chat-operations.ts';
import { freePort } from './support/child-process.ts';
import { collect, wsClient } from './support/client.ts';
import { finalReply } from './support/conversations.ts';
import { Login } from './support/operations.ts';
import { OnMessageStream, SendMessage } from './support/stream-operations.ts';
import { removeTempDir, tempDir } from './support/temp-dirs.ts';

const logger = createLogger('silent');

/** The environment of the demo's server: no ALLOW_PRIVATE_URLS, so only the demo agent's own URL may be reached on loopback. */
const demoEnv = (dataDir: string, port: number) => ({ DATA_DIR: dataDir, PORT: String(port), ALLOW_PRIVATE_URLS: '' });
const configOf = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', ...env });

/** The events of a `data:`-only SSE body. */
const sseData = (body: string) => body.split('\n\n').filter(Boolean).map((event) => event.replace(/^data: /, ''));

describe('the built-in demo agent', () => {
  const dirs: string[] = [];
  const newDataDir = async () => {
    const dir = await tempDir('demo');
    dirs.push(dir);
    return dir;
  };
  let app: RunningApp;
  let port: number;
  let seeds: DemoSeed[];
  before(async () => {
    const dataDir = await newDataDir();
    port = await freePort();
    // PGlite is one process's: the seed runs before the app opens the same data dir, on the port the app will take.
    const config = configOf(demoEnv(dataDir, port));
    seeds = [await seedDemo(config, { port, logger }), await seedDemo(config, { port, logger })];
    app = await startApp(demoEnv(dataDir, port));
  });
  after(async () => {
    await app?.stop();
    await Promise.all(dirs.map(removeTempDir));
  });

  it('seeds the demo tenant once: a second run finds everything and creates nothing', async () => {
    const [first, second] = seeds as [DemoSeed, DemoSeed];
    assert.deepEqual(first.created, { tenant: true, agent: true, chat: true });
    assert.deepEqual(second.created, { tenant: false, agent: false, chat: false });
    assert.deepEqual({ ...second, created: first.created }, first);
    assert.equal(first.tenant.slug, DEMO.tenantSlug);
    assert.equal(first.password, DEMO.defaultPassword);
    assert.equal(first.agent.webhookUrl, `http://localhost:${port}${DEMO_AGENT_PATH}`);
    assert.equal(first.modelAgent.baseUrl, `http://localhost:${port}${DEMO_MODEL_BASE_PATH}`);

    const prisma = app.prisma();
    const tenantId = first.tenant.id;
    assert.equal(await prisma.tenant.count({ where: { slug: { startsWith: DEMO.tenantSlug } } }), 1);
    assert.equal(await prisma.user.count({ where: { tenantId } }), 1);
    assert.deepEqual(
      (await prisma.agent.findMany({ where: { tenantId }, orderBy: { name: 'asc' } })).map((agent) => [agent.name, agent.kind, agent.model]),
      [
        [DEMO.agentName, 'WEBHOOK', null],
        [DEMO.modelAgentName, 'OPENAI_COMPATIBLE', DEMO.modelName],
      ],
    );
    assert.equal(await prisma.chat.count({ where: { tenantId } }), 2);
  });

  it('streams the demo model into its chat as an OpenAI-compatible API does, and stores the tokens it reports', async () => {
    const { login } = await app.client.data(Login, {
      input: { email: DEMO.email, password: DEMO.defaultPassword, tenantSlug: DEMO.tenantSlug },
    });
    const token = login.accessToken;
    const chatId = seeds[0]!.modelChat.id;
    const said = 'Which kind are you?';
    const { sendMessage } = await app.client.data(SendMessage, { input: { chatId, content: said } }, { token });
    const reply = await finalReply(app, token, chatId, sendMessage.assistantMessage.id);
    assert.equal(reply.status, 'COMPLETED', reply.error ?? '');
    assert.equal(reply.content, demoModelReply(said));
    const stored = await app.prisma().message.findUniqueOrThrow({ where: { id: sendMessage.assistantMessage.id } });
    assert.ok((stored.promptTokens ?? 0) > 0 && (stored.completionTokens ?? 0) > 0, 'the usage chunk is stored');
    assert.equal(stored.completionTokens, Math.ceil(demoModelReply(said).length / 4));
  });

  it('streams its reply into the Welcome chat word by word, echoing the message', async () => {
    assert.deepEqual(app.config.allowPrivateUrls, [], 'the demo agent is reached as the server\'s own endpoint, not as an allowed private host');
    const { login } = await app.client.data(Login, {
      input: { email: DEMO.email, password: DEMO.defaultPassword, tenantSlug: DEMO.tenantSlug },
    });
    const token = login.accessToken;
    const chatId = seeds[0]!.chat.id;
    const { chat } = await app.client.data(ChatById, { id: chatId }, { token });
    assert.equal(chat?.title, DEMO.chatTitle);

    const said = 'What can you do?';
    const { sendMessage } = await app.client.data(SendMessage, { input: { chatId, content: said } }, { token });
    assert.equal(sendMessage.assistantMessage.status, 'STREAMING');
    const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
    try {
      const stream = collect(client, OnMessageStream, { messageId: sendMessage.assistantMessage.id });
      const events = (await stream.untilComplete(20_000)).map((event) => event.messageStream);

      const seqs = events.map((event) => event.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.equal(new Set(seqs).size, seqs.length);
      const tokens = events.filter((event) => event.type === 'TOKEN').map((event) => event.delta ?? '');
      assert.ok(tokens.length >= 10, `only ${tokens.length} tokens`);
      const done = events.at(-1)!;
      assert.equal(done.type, 'DONE');
      assert.equal(done.status, 'COMPLETED');
      assert.equal(done.message?.content, tokens.join(''));
      assert.equal(done.message?.content, demoReply(said));
      assert.match(done.message?.content ?? '', /You said: "What can you do\?"/);
    } finally {
      await client.dispose();
    }
  });

  it('answers POST /demo-agent as an n8n workflow would, and refuses what is not an agent request', async () => {
    const url = `${app.origin}${DEMO_AGENT_PATH}`;
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'x' }, { role: 'user', content: 'ping' }] });
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = sseData(await response.text());
    assert.equal(events.at(-1), '[DONE]');
    const words = events.slice(0, -1).map((event) => (JSON.parse(event) as { content: string }).content);
    assert.equal(words.join(''), demoReply('ping'));

    assert.equal((await fetch(url, { method: 'POST', body: '{not json' })).status, 400);
    assert.equal((await fetch(url, { method: 'POST', body: '[1, 2]' })).status, 400);
    const tooLarge = `{"pad":"${'x'.repeat(300 * 1024)}"}`;
    assert.equal((await fetch(url, { method: 'POST', body: tooLarge })).status, 413);
    const chunked = new Blob([tooLarge]).stream();
    assert.equal((await fetch(url, { method: 'POST', body: chunked, duplex: 'half' } as RequestInit)).status, 413);
    assert.equal((await fetch(url)).status, 405);
  });

  it('is no way around the SSRF guard: only the exact demo URL on this port counts as the server\'s own', async () => {
    for (const own of [`http://localhost:${port}/demo-agent`, `http://127.0.0.1:${port}/demo-agent`, `http://localhost:${port}/demo-agent/v1/chat/completions`]) {
      assert.equal(isDemoAgentUrl(new URL(own), port), true, own);
    }
    for (const other of [
      `http://localhost:${port + 1}/demo-agent`,
      `http://localhost:${port}/graphql`,
      `http://localhost:${port}/demo-agent/x`,
      `http://localhost:${port}/demo-agent/v1`,
      `http://localhost:${port}/demo-agent/v1/chat/completions/x`,
      `http://localhost:${port}/demo-agentx`,
      `http://localhost:${port}/demo-agent?url=http://10.0.0.1/`,
      `https://localhost:${port}/demo-agent`,
      `http://127.0.0.2:${port}/demo-agent`,
      `http://[::1]:${port}/demo-agent`,
      `http://user:pass@localhost:${port}/demo-agent`,
      `http://localhost.example.com:${port}/demo-agent`,
    ]) {
      assert.equal(isDemoAgentUrl(new URL(other), port), false, other);
    }

    // Another path of this very server, set behind the API's back: the agent call is refused as loopback.
    const { login } = await app.client.data(Login, {
      input: { email: DEMO.email, password: DEMO.defaultPassword, tenantSlug: DEMO.tenantSlug },
    });
    const agent = await app.prisma().agent.create({
      data: { tenantId: seeds[0]!.tenant.id, name: 'Sneaky', webhookUrl: `http://127.0.0.1:${port}/health` },
    });
    const token = login.accessToken;
    const { createChat } = await app.client.data(CreateChat, { input: { agentId: agent.id, title: 'Sneaky' } }, { token });
    const { sendMessage } = await app.client.data(SendMessage, { input: { chatId: createChat.id, content: 'hi' } }, { token });
    const reply = await finalReply(app, token, createChat.id, sendMessage.assistantMessage.id);
    assert.equal(reply.status, 'FAILED');
    assert.match(reply.error ?? '', /private|reserved|blocked/i);
  });

  it('refuses to seed while a server holds the embedded database, and in production', async () => {
    const running = configOf(demoEnv(app.config.dataDir, port));
    await assert.rejects(seedDemo(running, { port, logger }), (error: Error) => {
      assert.ok(error instanceof SeedRefusedError);
      assert.match(error.message, /stop the server first/);
      return true;
    });

    const dataDir = await newDataDir();
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    await assert.rejects(seedDemo(production, { port: 4000, logger }), (error: Error) => {
      assert.ok(error instanceof SeedRefusedError);
      assert.match(error.message, /NODE_ENV=production/);
      return true;
    });
    assert.equal(existsSync(join(dataDir, 'pglite')), false, 'nothing was written');
  });

  it('is on by default outside production only, and with DEMO_AGENT=false its path is not found', async () => {
    assert.equal(configOf({ DATA_DIR: app.config.dataDir }).demoAgent, true);
    assert.equal(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), DATA_DIR: app.config.dataDir }).demoAgent, false);

    const off = await startApp({ DATA_DIR: await newDataDir(), DEMO_AGENT: 'false' });
    try {
      const response = await fetch(`${off.origin}${DEMO_AGENT_PATH}`, { method: 'POST', body: '{"messages":[]}' });
      assert.equal(response.status, 404);
    } finally {
      await off.stop();
    }
  });
});
