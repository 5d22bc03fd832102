/** A real HTTP server standing in for a customer's webhook endpoint: it records every request and answers as scripted. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventually } from './fixtures.ts';
import { webhookSchemaViolation } from './webhook-schemas.ts';

export type ReceivedRequest = {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** Date.now() when the request had arrived in full. */
  at: number;
};

/** How to answer; `hang` never answers (until the receiver closes). */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export type Receiver = {
  /** The receiver's URL for `path`, so that several endpoints can share one receiver. */
  url(path?: string): string;
  requests: ReceivedRequest[];
  /** Requests to `path`. */
  to(path: string): ReceivedRequest[];
  /** Sets how to answer; `count` is how many requests reached that path before this one. Default: 200 to all. */
  answer(reply: (request: ReceivedRequest, count: number) => Reply): void;
  /** Waits until `path` has received at least `count` requests. */
  waitFor(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Stops the server; rejects when a webhook body it got did not match its published schema. */
  close(): Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const violations: string[] = [];
  let reply: (request: ReceivedRequest, count: number) => Reply = () => ({ status: 200, body: 'ok' });
  const to = (path: string) => requests.filter((request) => request.path === path);
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    const request = { path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
    const count = to(path).length;
    requests.push(request);
    const violation = req.headers['webhook-id'] ? webhookSchemaViolation(request.body) : null;
    if (violation) violations.push(violation);
    const answer = reply(request, count);
    if (answer === 'hang') return;
    res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    to,
    answer: (next) => {
      reply = next;
    },
    waitFor: (path, count, timeoutMs = 10_000) =>
      eventually(() => (to(path).length >= count ? to(path) : undefined), timeoutMs, `${count} requests to ${path}`),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      if (violations.length) throw new Error(`webhook bodies that do not match their published schema:\n${[...new Set(violations)].join('\n')}`);
    },
  };
}
