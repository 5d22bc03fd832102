/**
 * A real HTTP server standing in for an OpenAI-compatible API (OpenAI, OpenRouter, Gemini,
 * Ollama, vLLM): `POST <url>/chat/completions` answers in the streaming wire format, and the
 * request's `model` picks the behaviour, including each way a provider fails (see `SCENARIOS`);
 * `POST <url>/audio/transcriptions` answers as OpenAI's does (see `TRANSCRIPTIONS`).
 * It records every request.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export type ChatCompletionsRequest = { path: string; headers: IncomingHttpHeaders; body: Record<string, unknown> };

/** The prompt tokens every answer reports. */
export const PROMPT_TOKENS = 42;

type ChatMessage = { role: string; content: unknown };

/** The reply the `echo` model streams, one token per element. */
export function echoTokens(messages: ChatMessage[]): string[] {
  const last = messages.findLast((message) => message.role === 'user');
  const said = typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? null);
  return ['You', ' said', ': ', said];
}

const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
  id: 'chatcmpl-standin',
  object: 'chat.completion.chunk',
  created: 1_800_000_000,
  model: 'standin',
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});
const usageChunk = (completionTokens: number) => ({
  id: 'chatcmpl-standin',
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: completionTokens, total_tokens: PROMPT_TOKENS + completionTokens },
});

const event = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message, type: 'standin_error', code: null } }));
}

async function stream(res: ServerResponse, tokens: string[], finishReason: string | null, options: { done?: boolean; intervalMs?: number } = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
  res.write(event(chunk({ role: 'assistant', content: '' })));
  for (const token of tokens) {
    if (options.intervalMs) await delay(options.intervalMs);
    res.write(event(chunk({ content: token })));
  }
  if (finishReason) res.write(event(chunk({}, finishReason)));
  res.write(event(usageChunk(tokens.length)));
  res.end(options.done === false ? undefined : event('[DONE]'));
}

/** What each model name does. */
const SCENARIOS: Record<string, (res: ServerResponse, messages: ChatMessage[]) => void | Promise<void>> = {
  echo: (res, messages) => stream(res, echoTokens(messages), 'stop', { intervalMs: 20 }),
  /** Longer than visitorMessage waits for an auto-reply: the reply reaches the widget later, live. */
  slow: async (res, messages) => {
    await delay(2_500);
    await stream(res, echoTokens(messages), 'stop', { intervalMs: 20 });
  },
  'no-done': (res, messages) => stream(res, echoTokens(messages), 'stop', { done: false }),
  whole: (res, messages) => {
    const content = echoTokens(messages).join('');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id: 'chatcmpl-standin',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: PROMPT_TOKENS, completion_tokens: 4, total_tokens: PROMPT_TOKENS + 4 },
    }));
  },
  /** Lead-intent verdicts: a good one (in pieces), one in a Markdown fence, prose, and one of the wrong shape. */
  verdict: (res) => stream(res, ['{"intent": "HOT", "sco', 're": 91, "reason": "Asks for a quote', ' for 40 units"}'], 'stop'),
  'verdict-fenced': (res) => stream(res, ['```json\n{"intent": "warm", "score": 35, "reason": "Compares prices"}\n```'], 'stop'),
  prose: (res) => stream(res, ['They seem keen to buy.'], 'stop'),
  'verdict-bad': (res) => stream(res, ['{"intent": "SCORCHING", "score": 91, "reason": "Very keen"}'], 'stop'),
  unauthorized: (res) => refuse(res, 401, 'Incorrect API key provided: sk-st***in. You can find your API key at https://example.com.'),
  leaky: (res) => refuse(res, 400, 'Invalid key sk-standin-0123456789 for this project'),
  tools: (res) => stream(res, [], 'tool_calls'),
  busy: (res) => refuse(res, 429, 'Rate limit reached for requests', { 'retry-after': '7' }),
  broken: (res) => refuse(res, 503, 'The engine is currently overloaded, please try again later'),
  missing: (res) => refuse(res, 404, 'The model `missing` does not exist'),
  long: (res) => stream(res, ['Once upon', ' a time'], 'length'),
  filtered: (res) => stream(res, ['I cannot'], 'content_filter'),
  cutoff: async (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(event(chunk({ content: 'Half a' })));
    await delay(50);
    res.destroy();
  },
  silent: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
  },
  garbage: (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('data: {"choices": [\n\n');
  },
  'error-event': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(event({ error: { message: 'Upstream model crashed', code: 500 } }));
  },
};

/** The transcript every transcription model but the failing ones answers. */
export const TRANSCRIPT = {
  text: 'Hello, I would like a quote. Sure, for how many units?',
  segments: [
    { id: 0, start: 0, end: 1.8, text: ' Hello, I would like a quote.', speaker: 'A' },
    { id: 1, start: 1.9, end: 3.2, text: ' Sure, for how many units?', speaker: 'B' },
  ],
};

/** `POST <url>/audio/transcriptions` by model: with speakers, without, and each way it fails. */
const TRANSCRIPTIONS: Record<string, (res: ServerResponse) => void> = {
  /** As `diarize`, but a stand-in never answers its first request (its server is to be killed meanwhile). */
  'transcribe-held-once': (res) => answerJson(res, { task: 'transcribe', ...TRANSCRIPT }),
  diarize: (res) => answerJson(res, { task: 'transcribe', language: 'english', duration: 3.2, ...TRANSCRIPT }),
  whisper: (res) => answerJson(res, { text: TRANSCRIPT.text }),
  'transcribe-busy': (res) => refuse(res, 429, 'Rate limit reached for audio', { 'retry-after': '12' }),
  'transcribe-garbage': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello, I would like a quote.');
  },
  'transcribe-silent': () => {},
};

function answerJson(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The fields of a multipart/form-data body, files as their type and size: enough to check what was sent. */
function formFields(raw: Buffer, contentType: string): Record<string, unknown> {
  const boundary = /boundary=(.+)$/.exec(contentType)?.[1];
  if (!boundary) return {};
  const fields: Record<string, unknown> = {};
  for (const part of raw.toString('latin1').split(`--${boundary}`).slice(1, -1)) {
    const [head = '', ...rest] = part.split('\r\n\r\n');
    const value = rest.join('\r\n\r\n').replace(/\r\n$/, '');
    const name = /name="([^"]+)"/.exec(head)?.[1] ?? '';
    const fileType = /content-type: (.+)/i.exec(head)?.[1]?.trim();
    fields[name] = fileType ? { type: fileType, size: Buffer.byteLength(value, 'latin1'), name: /filename="([^"]+)"/.exec(head)?.[1] } : value;
  }
  return fields;
}

export type ChatCompletionsStandin = {
  /** The base URL an OPENAI_COMPATIBLE agent is given. */
  baseUrl: string;
  requests: ChatCompletionsRequest[];
  close(): Promise<void>;
};

export async function startChatCompletionsStandin(): Promise<ChatCompletionsStandin> {
  const requests: ChatCompletionsRequest[] = [];
  const open = new Set<ServerResponse>();
  let heldOnce = false;
  const server = createServer(async (req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    const chunks: Buffer[] = [];
    for await (const part of req) chunks.push(part as Buffer);
    if (req.url === '/v1/audio/transcriptions') {
      const form = formFields(Buffer.concat(chunks), req.headers['content-type'] ?? '');
      requests.push({ path: req.url, headers: req.headers, body: form });
      if (form.model === 'transcribe-held-once' && !heldOnce) {
        heldOnce = true;
        return;
      }
      const transcription = TRANSCRIPTIONS[String(form.model)];
      return transcription ? transcription(res) : refuse(res, 404, `The model ${String(form.model)} does not exist`);
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    requests.push({ path: req.url ?? '', headers: req.headers, body });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return refuse(res, 404, `Unknown path ${req.url}`);
    const scenario = SCENARIOS[String(body.model)];
    if (!scenario) return refuse(res, 404, `The model ${String(body.model)} does not exist`);
    await scenario(res, (body.messages ?? []) as ChatMessage[]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const res of open) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
