import type { IncomingMessage, ServerResponse } from 'node:http';

/** Where the built-in demo agent answers, on the server's own port. */
export const DEMO_AGENT_PATH = '/demo-agent';
/** The base URL path of the built-in demo model, an OpenAI-compatible API (see demo-model.ts). */
export const DEMO_MODEL_BASE_PATH = `${DEMO_AGENT_PATH}/v1`;
export const DEMO_MODEL_PATH = `${DEMO_MODEL_BASE_PATH}/chat/completions`;

/** Agent requests carry the chat's recent history; this is ample for it and small for a toy. */
const MAX_BODY_BYTES = 256 * 1024;
/** Slow enough that a reply visibly streams in GraphiQL, fast enough not to bore. */
const WORD_INTERVAL_MS = 30;
/** The echoed message is cut here, so that a long paste still streams in seconds. */
const MAX_ECHO_CHARS = 200;

/** The first words of a demo's answer: what the user said back to them, cut to a length that streams in seconds. */
export function echoGreeting(lastUserMessage: string | undefined): string {
  const said = lastUserMessage?.trim() ?? '';
  const echo = said.length > MAX_ECHO_CHARS ? `${said.slice(0, MAX_ECHO_CHARS)}…` : said;
  return echo ? `Hello! You said: "${echo}".` : 'Hello!';
}

/**
 * Whether `url` names this server's demo agent or demo model, which the agents' HTTP client may then reach
 * although it is loopback: plain http on localhost, this very port and path, nothing else.
 */
export function isDemoAgentUrl(url: URL, port: number): boolean {
  return (
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === 'localhost') &&
    Number(url.port || 80) === port &&
    (url.pathname === DEMO_AGENT_PATH || url.pathname === DEMO_MODEL_PATH) &&
    url.search === '' &&
    !url.username &&
    !url.password
  );
}

/** The demo agent's whole answer to `lastUserMessage` (deterministic: tests compare it). */
export function demoReply(lastUserMessage: string | undefined): string {
  return [
    echoGreeting(lastUserMessage),
    'I am the built-in demo agent of this server: I only echo your last message, word by word, to show how replies stream.',
    'To talk to a real AI, point an agent at an n8n workflow that starts with a Webhook node:',
    'updateAgent(id, input: { webhookUrl: "https://<your-n8n>/webhook/<path>", webhookToken: "<a bearer token the workflow checks>" }).',
    'The workflow receives messages, system_prompt, config, chat_id and message_id as JSON,',
    'and answers with server-sent events, newline-delimited JSON, or one JSON object with the reply.',
  ].join(' ');
}

/**
 * Serves `POST /demo-agent` like an n8n workflow would: reads the agent request and streams the
 * reply as server-sent events (`data: {"content": "..."}` per word, then `data: [DONE]`).
 */
export async function serveDemoAgent(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const request = await readDemoRequest(req, res, 'an agent request body');
  if (!request) return;
  streamWords(res, demoReply(lastUserMessage(request)), (word) => ({ content: word }), []);
}

/** The JSON object a demo request POSTs, or null once it was answered with why not. */
export async function readDemoRequest(req: IncomingMessage, res: ServerResponse, expected: string): Promise<Record<string, unknown> | null> {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain; charset=utf-8' });
    res.end(`This demo answers POST requests with ${expected}\n`);
    return null;
  }
  const body = await readBody(req, MAX_BODY_BYTES);
  if (body === 'gone') return null;
  if (body === 'too_large') {
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`The request body is larger than ${MAX_BODY_BYTES} bytes\n`);
    return null;
  }
  const request = parseJsonObject(body);
  if (!request) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The request body must be a JSON object\n');
  }
  return request;
}

/** Streams `reply` word by word as server-sent events, each word's event made by `event`; then `last` and [DONE]. */
export function streamWords(res: ServerResponse, reply: string, event: (word: string) => unknown, last: unknown[]) {
  const words = reply.match(/\S+\s*/g) ?? [];
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const writeNext = () => {
    if (res.destroyed) return;
    if (next < words.length) {
      res.write(`data: ${JSON.stringify(event(words[next++]!))}\n\n`);
      timer = setTimeout(writeNext, WORD_INTERVAL_MS);
    } else {
      res.end(`${last.map((data) => `data: ${JSON.stringify(data)}\n\n`).join('')}data: [DONE]\n\n`);
    }
  };
  // The caller went away (a cancelled reply, shutdown): stop writing to nobody.
  res.once('close', () => clearTimeout(timer));
  writeNext();
}

export function lastUserMessage(request: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const last = messages.findLast(
    (message): message is { content: string } =>
      typeof message === 'object' && message !== null && message.role === 'user' && typeof message.content === 'string',
  );
  return last?.content;
}

function parseJsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The whole body; 'too_large' as soon as it passes `maxBytes`, or 'gone' when the caller went
 * away before sending it all. The rest of a body too large is read and dropped, so that the 413
 * reaches the caller instead of a reset connection.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too_large' | 'gone'> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve('too_large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else resolve('too_large');
    });
    // Resolving again is harmless: the first outcome wins.
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', () => resolve('gone'));
    req.once('close', () => resolve('gone'));
  });
}
