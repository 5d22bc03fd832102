/**
 * A real HTTP server standing in for an agent's n8n webhook. It records every request and
 * answers by path (see `scripted`), or hands a request to a test that drives it token by token
 * (see `controlled`).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { framings, type StreamFormat } from './agent-stream-formats.ts';

export type AgentRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text when it is not JSON. */
  body: unknown;
  /** The client closed the connection before the stand-in finished its answer. */
  clientAborted: boolean;
};

export type ControlledOptions = { format?: StreamFormat; contentType?: string; status?: number };

/** One request a test answers piece by piece. Headers go out as soon as it arrives. */
export type ControlledAgent = {
  /** Resolves when the request has arrived. */
  arrived: Promise<AgentRequest>;
  /** Resolves when the connection has closed, whoever closed it. */
  closed: Promise<AgentRequest>;
  send(token: string): void;
  sendMany(tokens: string[]): void;
  /** Writes bytes as they are, e.g. half a UTF-8 character. */
  write(raw: string | Uint8Array): void;
  /** Sends the format's end marker and ends the answer. */
  end(): void;
  /** Ends the answer without an end marker. */
  close(): void;
  /** Destroys the connection mid-answer. */
  fail(): void;
};

/**
 * An agent request's body with its `messages` as role and content only, once their timestamps
 * are checked: ISO 8601, oldest first, none in the future.
 */
export function withoutTimestamps(body: unknown): Record<string, unknown> {
  const { messages, ...rest } = body as { messages: { role: string; content: string; timestamp: string }[] };
  const times = messages.map((message) => Date.parse(message.timestamp));
  const ordered = times.every((time, index) => Number.isFinite(time) && time >= (times[index - 1] ?? 0) && time <= Date.now() + 1_000);
  assert.ok(ordered, `timestamps: ${JSON.stringify(messages)}`);
  return { ...rest, messages: messages.map(({ role, content }) => ({ role, content })) };
}

export type AgentStandin = {
  url(path: string): string;
  requests: AgentRequest[];
  controlled(path: string, options?: ControlledOptions): ControlledAgent;
  close(): Promise<void>;
};

export async function startAgentStandin(): Promise<AgentStandin> {
  const requests: AgentRequest[] = [];
  const waiting = new Map<string, ((exchange: Exchange) => void)[]>();
  const closing = new AbortController();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const exchange = await record(req, res, url.pathname);
    requests.push(exchange.request);
    const handOver = waiting.get(url.pathname)?.shift();
    if (handOver) return handOver(exchange);
    await scripted(exchange, url, closing.signal).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    controlled(path, options = {}) {
      const framing = framings[options.format ?? 'sse'];
      let exchange: Exchange | undefined;
      const arrived = new Promise<Exchange>((resolve) => waiting.set(path, [...(waiting.get(path) ?? []), resolve]));
      void arrived.then((arrival) => {
        exchange = arrival;
        arrival.res.writeHead(options.status ?? 200, { 'content-type': options.contentType ?? framing.contentType }).flushHeaders();
        if (framing.begin) arrival.res.write(framing.begin);
      });
      const current = () => {
        if (!exchange) throw new Error(`no request has reached ${path} yet`);
        return exchange;
      };
      return {
        arrived: arrived.then(({ request }) => request),
        closed: arrived.then(({ closed }) => closed),
        send: (token) => current().res.write(framing.token(token)),
        sendMany: (tokens) => current().res.write(tokens.map(framing.token).join('')),
        write: (raw) => current().res.write(raw),
        end: () => current().res.end(framing.end),
        close: () => current().res.end(),
        fail: () => current().fail(),
      };
    },
    close: () =>
      new Promise((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Exchange = { request: AgentRequest; res: ServerResponse; closed: Promise<AgentRequest>; fail(): void };

async function record(req: IncomingMessage, res: ServerResponse, path: string): Promise<Exchange> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const request: AgentRequest = { method: req.method ?? '', path, headers: req.headers, body: parseJson(text), clientAborted: false };
  let failedByServer = false;
  const closed = new Promise<AgentRequest>((resolve) =>
    res.once('close', () => {
      request.clientAborted = !res.writableFinished && !failedByServer;
      resolve(request);
    }),
  );
  const fail = () => {
    failedByServer = true;
    res.destroy();
  };
  return { request, res, closed, fail };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const defaultTokens = ['Hello', ', ', 'world'];

/**
 * The answers chosen by path. Streams take `?tokens=a,b,c` (default "Hello", ", ", "world"),
 * `delayMs` before each token and `contentType` to relabel them; whole bodies take
 * `?tokens=` (joined) and `pretty=1`.
 */
async function scripted({ res }: Exchange, url: URL, closing: AbortSignal): Promise<void> {
  const query = url.searchParams;
  const tokens = query.get('tokens')?.split(',') ?? defaultTokens;
  const text = tokens.join('');
  const delayMs = Number(query.get('delayMs') ?? (url.pathname === '/slow' ? 200 : 0));
  const json = (value: unknown) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value, null, query.has('pretty') ? 2 : undefined));

  const stream = async (format: StreamFormat, { last = 'end', count = tokens.length }: { last?: 'end' | 'close' | 'hang'; count?: number } = {}) => {
    const framing = framings[format];
    res.writeHead(200, { 'content-type': query.get('contentType') ?? framing.contentType, 'cache-control': 'no-cache' });
    res.flushHeaders();
    if (framing.begin) res.write(framing.begin);
    for (const token of tokens.slice(0, count)) {
      if (delayMs > 0) await delay(delayMs, undefined, { signal: closing });
      if (res.destroyed) return;
      res.write(framing.token(token));
    }
    if (last === 'end') res.end(framing.end);
    if (last === 'close') res.end();
  };

  const status = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  if (status) return void res.writeHead(Number(status), { 'content-type': 'application/json' }).end('{"message":"Workflow failed"}');
  switch (url.pathname) {
    case '/sse':
    case '/slow':
      return stream('sse');
    case '/openai':
      return stream('openai');
    case '/ndjson':
      return stream('ndjson');
    case '/no-done':
      return stream('sse', { last: 'close' });
    case '/hang-after-first-token':
      return stream('sse', { last: 'hang', count: 1 });
    case '/garbage':
      return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end('data: {"content":"ok"}\n\ndata: <html>oops</html>\n\n');
    case '/json':
      return void json({ content: text });
    case '/json-output':
      return void json({ output: text });
    case '/n8n-array':
      return void json([{ output: text }]);
    case '/text':
      return void res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
    case '/hang':
      return;
    default:
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
  }
}
