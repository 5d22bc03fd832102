/**
 * A real HTTP server standing in for Meta's Graph API: it records every request and answers as
 * Meta does — `GET /{version}/{id}` with the node, `POST /{version}/{id}/messages` with the WhatsApp
 * Cloud API answer (`messaging_product`, `contacts`, `messages[0].id`) or the Messenger/Instagram
 * Send API answer (`recipient_id`, `message_id`). Tokens outside `acceptedTokens` get Meta's 401.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type GraphRequest = { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: unknown };
export type GraphReply = { status: number; body: unknown };

export type GraphApiStandin = {
  /** The base URL, for GRAPH_API_BASE_URL. */
  url: string;
  requests: GraphRequest[];
  /** Bearer tokens answered as valid; any other gets 401 (OAuthException 190). */
  acceptedTokens: Set<string>;
  /** Answers every following request with `reply` (null: back to normal). */
  failWith(reply: GraphReply | null): void;
  close(): Promise<void>;
};

export const invalidTokenReply: GraphReply = {
  status: 401,
  body: { error: { message: 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190 } },
};

export async function startGraphApiStandin(): Promise<GraphApiStandin> {
  const requests: GraphRequest[] = [];
  const acceptedTokens = new Set<string>();
  let failure: GraphReply | null = null;
  let sent = 0;
  const answer = (request: GraphRequest): GraphReply => {
    if (failure) return failure;
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token || !acceptedTokens.has(token)) return invalidTokenReply;
    const [, , nodeId, edge] = request.path.split('/');
    if (request.method === 'GET' && !edge) return { status: 200, body: { id: nodeId } };
    if (request.method !== 'POST' || edge !== 'messages') return { status: 400, body: { error: { message: 'Unknown path', code: 100 } } };
    sent++;
    const body = request.body as { messaging_product?: string; to?: string; recipient?: { id?: string } };
    if (body.messaging_product === 'whatsapp') {
      const contacts = [{ input: body.to, wa_id: body.to }];
      return { status: 200, body: { messaging_product: 'whatsapp', contacts, messages: [{ id: `wamid.standin${sent}` }] } };
    }
    return { status: 200, body: { recipient_id: body.recipient?.id, message_id: `m_standin${sent}` } };
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://standin');
    const raw = Buffer.concat(chunks).toString('utf8');
    const body: unknown = raw ? JSON.parse(raw) : null;
    const request = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
    requests.push(request);
    const reply = answer(request);
    res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    acceptedTokens,
    failWith: (reply) => {
      failure = reply;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
