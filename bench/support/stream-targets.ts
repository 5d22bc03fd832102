/** The servers the token-streaming benchmark streams through: the app, and the bare ws relay. */
import type { ServerChild } from './processes.ts';
import type { HeldReply, Upstream } from './sse-upstream.ts';
import { appSubscriber, relaySubscriber, type Subscriber } from './stream-subscribers.ts';
import { signUp } from './targets.ts';

export const RELAY_SCRIPT = 'bench/servers/ws-relay.ts';

/** A reply in progress: the agent's request has arrived and is held open. */
export type OpenReply = { reply: HeldReply; subscribe(tokens: number): Subscriber };

export type StreamTarget = { name: string; server: ServerChild; open(): Promise<OpenReply> };

export function relayTarget(server: ServerChild, upstream: Upstream, name = 'baseline: bare ws relay'): StreamTarget {
  const wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  return {
    name,
    server,
    async open() {
      const response = await fetch(`${server.origin}/relay`, { method: 'POST', body: JSON.stringify({ url: upstream.url }) });
      if (response.status !== 202) throw new Error(`the relay answered ${response.status}`);
      const reply = await upstream.nextRequest();
      return { reply, subscribe: (tokens) => relaySubscriber(wsUrl, tokens) };
    },
  };
}

const CREATE_AGENT = 'mutation CreateAgent($input: CreateAgentInput!) { createAgent(input: $input) { id } }';
const CREATE_CHAT = 'mutation CreateChat($input: CreateChatInput!) { createChat(input: $input) { id } }';
const SEND_MESSAGE =
  'mutation SendMessage($input: SendMessageInput!) { sendMessage(input: $input) { userMessage { id } assistantMessage { id } } }';

/** The agent the app calls: a WEBHOOK agent at the upstream, or an OPENAI_COMPATIBLE one whose base URL it is. */
export type AgentKind = 'WEBHOOK' | 'OPENAI_COMPATIBLE';

/**
 * The app at `server`, as a new tenant's admin with an agent of `kind` answered by `upstream`.
 * Each reply is sent in a chat of its own, so every agent request carries the same short history.
 */
export async function appTarget(name: string, server: ServerChild, upstream: Upstream, kind: AgentKind = 'WEBHOOK'): Promise<StreamTarget> {
  const { accessToken } = await signUp(server.origin);
  const graphql = <Data>(query: string, variables: Record<string, unknown>) => request<Data>(server.origin, accessToken, query, variables);
  const agent = kind === 'WEBHOOK' ? { webhookUrl: upstream.url } : { kind, baseUrl: upstream.baseUrl, model: 'bench', apiKey: 'sk-bench' };
  const { createAgent } = await graphql<{ createAgent: { id: string } }>(CREATE_AGENT, { input: { name: 'Bench agent', ...agent } });
  const wsUrl = `ws://127.0.0.1:${server.port}/graphql`;
  return {
    name,
    server,
    async open() {
      const { createChat } = await graphql<{ createChat: { id: string } }>(CREATE_CHAT, { input: { agentId: createAgent.id } });
      const { sendMessage } = await graphql<{ sendMessage: { assistantMessage: { id: string } } }>(SEND_MESSAGE, {
        input: { chatId: createChat.id, content: 'Stream me a reply, please.' },
      });
      const reply = await upstream.nextRequest();
      const messageId = sendMessage.assistantMessage.id;
      return { reply, subscribe: (tokens) => appSubscriber(wsUrl, accessToken, messageId, tokens) };
    },
  };
}

/** A GraphQL request over HTTP as `accessToken`'s holder; throws on any error. */
export async function request<Data>(origin: string, accessToken: string, query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data | null; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL errors (HTTP ${response.status}): ${JSON.stringify(body.errors)}`);
  return body.data;
}
