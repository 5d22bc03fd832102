/**
 * The fan-out baseline: a bare `ws` broadcast. Run as its own process
 * (`node --import tsx bench/servers/ws-broadcast.ts`) with PORT and HOST. Clients connect to /ws;
 * POST /broadcast sends its body, as it is, to every client. /ready answers 200.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer({ noDelay: true }, (req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  if (req.method !== 'POST' || req.url !== '/broadcast') return void res.writeHead(404).end();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    for (const client of clients.clients) client.send(body);
    res.writeHead(202).end();
  });
});

const clients = new WebSocketServer({ server, path: '/ws' });

server.listen(Number(process.env.PORT ?? 4201), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => {
  for (const client of clients.clients) client.terminate();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
