import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { CreateAgent } from './agent-operations.ts';
import { startAgentStandin, type AgentStandin } from './agent-standin.ts';
import { startApp, type RunningApp } from './app.ts';
import { CreateChat } from './chat-operations.ts';
import { collect, wsClient } from './client.ts';
import { eventually, signUpTenant } from './fixtures.ts';
import { OnMessageStream, ReplyMessage, SendMessage } from './stream-operations.ts';

export const AGENT_TOKEN = 'agent-secret-token';

/** A chat with a fresh agent answering at `url`. */
export async function chatWithAgent(app: RunningApp, token: string, url: string) {
  const { createAgent } = await app.client.data(
    CreateAgent,
    { input: { name: 'Helper', webhookUrl: url, webhookToken: AGENT_TOKEN, systemPrompt: 'Be brief.', config: { model: 'test' } } },
    { token },
  );
  const { createChat } = await app.client.data(CreateChat, { input: { agentId: createAgent.id, title: 'Streaming' } }, { token });
  return { agentId: createAgent.id, chatId: createChat.id };
}

/** A chat whose agent is driven by the test through the stand-in's controlled mode. */
export async function controlledChat(app: RunningApp, standin: AgentStandin, token: string) {
  const path = `/controlled-${randomUUID()}`;
  const chat = await chatWithAgent(app, token, standin.url(path));
  return { ...chat, agent: () => standin.controlled(path) };
}

export async function send(app: RunningApp, token: string, chatId: string, content = 'Hello agent') {
  return (await app.client.data(SendMessage, { input: { chatId, content } }, { token })).sendMessage;
}

/** Follows a reply over its own WebSocket; `close` ends the connection. */
export function follow(app: RunningApp, token: string, messageId: string, afterSeq?: number) {
  const { client } = wsClient(app.wsUrl, { authorization: `Bearer ${token}` });
  const stream = collect(client, OnMessageStream, { messageId, afterSeq });
  return Object.assign(stream, {
    seqs: () => stream.events.map((event) => event.messageStream.seq),
    close: () => (client as Client).dispose(),
  });
}

/** The reply as stored, once it reached a final status. */
export async function finalReply(app: RunningApp, token: string, chatId: string, messageId: string, timeoutMs = 10_000) {
  return eventually(
    async () => {
      const { chat } = await app.client.data(ReplyMessage, { chatId }, { token });
      const reply = chat?.messages.edges.map((edge) => edge.node).find((node) => node.id === messageId);
      return reply && reply.status !== 'STREAMING' ? reply : undefined;
    },
    timeoutMs,
    'the reply to finish',
  );
}

/** Seqs must run from `first` to `last` by one: no gap, no duplicate. */
export function assertContiguous(seqs: number[], first: number, last: number) {
  assert.deepEqual(seqs, Array.from({ length: last - first + 1 }, (_, index) => first + index));
}

/** The app and an agent stand-in, started side by side, and the admin of a new tenant. */
export async function startWithAgent(env: Record<string, string>) {
  const [app, standin] = await Promise.all([startApp(env), startAgentStandin()]);
  return { app, standin, admin: await signUpTenant(app.client) };
}

export type WithAgent = Awaited<ReturnType<typeof startWithAgent>>;

/** Stops what `startWithAgent` started, as far as it got. */
export async function stopWithAgent(started: Partial<Pick<WithAgent, 'app' | 'standin'>>) {
  await started.app?.stop();
  await started.standin?.close();
}
