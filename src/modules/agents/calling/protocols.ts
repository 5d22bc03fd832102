import type { IncomingMessage } from 'node:http';
import { ChatCompletionBody, ChatCompletionsStream, chatCompletionsRequest, providerMessage } from './chat-completions.ts';
import { replyParser } from './detect.ts';
import { bufferLimit, failed, type Emit, type Ending, type ReplyParser } from './parser.ts';
import { isRecord } from './payloads.ts';
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
    refusal: async (response, token) => {
      const message = await errorMessageOf(response);
      const shown = token && message ? message.replaceAll(token, '[redacted]') : message;
      return refusalReason(response.statusCode ?? 0, response.headers['retry-after'], shown);
    },
    parser: (contentType, emit, maxContentChars) =>
      contentType === 'application/json'
        ? new ChatCompletionBody(emit, maxContentChars)
        : new ChatCompletionsStream(emit, bufferLimit(maxContentChars)),
  };
}

/** The provider's refusal in words: what the user (or their admin) can do about it. */
function refusalReason(status: number, retryAfter: string | undefined, message: string | undefined): Ending {
  const saying = message ? `: ${message}` : '';
  if (status === 401 || status === 403) return failed(`The provider refused the API key (HTTP ${status}); an admin can set another with updateAgent`);
  if (status === 429) {
    const wait = retryAfterSeconds(retryAfter);
    return failed(`The provider is rate limiting this agent (HTTP 429); try again ${wait === undefined ? 'later' : `in ${wait} s`}`);
  }
  if (status >= 500) return failed(`The provider failed (HTTP ${status})${saying}`);
  if (status === 404) return failed(`The provider does not know this model or URL (HTTP 404)${saying}`);
  return failed(`The provider refused the request (HTTP ${status})${saying}`);
}

/** Retry-After as delay-seconds or an HTTP date, in whole seconds from now. */
export function retryAfterSeconds(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The `error.message` of a JSON refusal (OpenAI's shape, and most vendors'), if short; never more than a few KB read. */
async function errorMessageOf(response: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_REFUSAL_BYTES) break;
    }
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const error = isRecord(body) ? body.error : undefined;
    // Ollama and others answer {"error": "..."}; OpenAI {"error": {"message": "..."}}.
    return providerMessage(Array.isArray(error) ? error[0] : error);
  } catch {
    return undefined;
  }
}
