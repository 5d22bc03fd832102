/**
 * The token-streaming baseline: a bare relay from an agent's SSE answer to plain `ws` clients.
 * Run as its own process (`node --import tsx bench/servers/ws-relay.ts`) with PORT and HOST.
 * Clients connect to /ws and are greeted with `{"type":"STATUS"}`; POST /relay with
 * `{"url": ...}` makes it POST to that URL and send each SSE event's `content` to every client
 * as `{"seq":n,"type":"TOKEN","delta":...}`, then `{"type":"DONE"}` after `data: [DONE]`.
 * /ready answers 200.
 */
import { createServer, request } from 'node:http';
import { WebSocketServer } from 'ws';

const STATUS = JSON.stringify({ type: 'STATUS' });
const DONE = JSON.stringify({ type: 'DONE' });

const server = createServer({ noDelay: true }, (req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  if (req.method !== 'POST' || req.url !== '/relay') return void res.writeHead(404).end();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    relay((JSON.parse(body) as { url: string }).url);
    res.writeHead(202).end();
  });
});

const clients = new WebSocketServer({ server, path: '/ws' });
clients.on('connection', (socket) => socket.send(STATUS));

function broadcast(text: string) {
  for (const client of clients.clients) client.send(text);
}

type UpstreamEvent = { content?: string; choices?: { delta?: { content?: string } }[] };

/** The text of an n8n-style `{"content"}` event or of a chat-completion chunk. */
function contentOf(event: UpstreamEvent): string {
  return event.content ?? event.choices?.[0]?.delta?.content ?? '';
}

function relay(url: string) {
  const upstream = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } }, (res) => {
    let seq = 1;
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer.slice(0, end).replace(/^data: /, '');
        buffer = buffer.slice(end + 2);
        if (data === '[DONE]') broadcast(DONE);
        else broadcast(JSON.stringify({ seq: ++seq, type: 'TOKEN', delta: contentOf(JSON.parse(data) as UpstreamEvent) }));
      }
    });
  });
  upstream.on('error', (error) => console.error(`relay upstream failed: ${error.message}`));
  upstream.end('{}');
}

server.listen(Number(process.env.PORT ?? 4200), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  for (const client of clients.clients) client.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
