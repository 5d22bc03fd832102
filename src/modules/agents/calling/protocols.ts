import type { IncomingMessage } from 'node:http';
import { ChatCompletionBody, ChatCompletionsStream, chatCompletionsRequest } from './chat-completions.ts';
import { replyParser } from './detect.ts';
import { bufferLimit, failed, type Emit, type Ending, type ReplyParser } from './parser.ts';
import { providerRefusal } from './provider-refusal.ts';
import type { AgentCall, TokenUsage } from './types.ts';

/** A parser that may also learn how many tokens the reply used. */
export type UsageParser = ReplyParser & { readonly usage?: TokenUsage };

/** How one kind of agent is spoken to: what is sent, and how its answers and refusals read. */
export interface AgentProtocol {
  headers(token: string | null): Record<string, string>;
  body(call: AgentCall): string;
  /** Why a non-2xx answer ends the reply; may read a little of its body, never showing `token`. */
  refusal(response: IncomingMessage, token: string | null): Promise<Ending>;
  parser(contentType: string, emit: Emit, maxContentChars: number): UsageParser;
}

const bearer = (token: string | null): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** n8n-style webhooks: the agent request body as it is; SSE, NDJSON or a whole body back. */
export const webhookProtocol: AgentProtocol = {
  headers: (token) => ({
    'content-type': 'application/json',
    accept: 'text/event-stream, application/x-ndjson, application/json',
    ...bearer(token),
  }),
  body: (call) => JSON.stringify(call.body),
  refusal: async (response) => failed(`The agent answered HTTP ${response.statusCode ?? 0}`),
  parser: replyParser,
};

/** The most of a refusal's body read for its error message. */
const MAX_REFUSAL_BYTES = 16 * 1024;

/** OpenAI-compatible chat completions, streamed; the same for every vendor. */
export function chatCompletionsProtocol(model: string): AgentProtocol {
  return {
    headers: (token) => ({ 'content-type': 'application/json', accept: 'text/event-stream, application/json', ...bearer(token) }),
    body: (call) => JSON.stringify(chatCompletionsRequest(model, call.body)),
    refusal: async (response, token) =>
      failed(providerRefusal(response.statusCode ?? 0, response.headers['retry-after'], await refusalBody(response), token)),
    parser: (contentType, emit, maxContentChars) =>
      contentType === 'application/json'
        ? new ChatCompletionBody(emit, maxContentChars)
        : new ChatCompletionsStream(emit, bufferLimit(maxContentChars)),
  };
}

/** A refusal's body, at most MAX_REFUSAL_BYTES of it. */
async function refusalBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BYTES) break;
    }
  } catch {
    // What arrived is all there is to go on.
  }
  return Buffer.concat(chunks).toString('utf8');
}
