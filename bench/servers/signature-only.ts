/**
 * The inbound-messages baseline: a bare node:http server that only checks Meta's signature.
 * Run as its own process (`node --import tsx bench/servers/signature-only.ts`) with PORT, HOST
 * and BENCH_APP_SECRET. Any POST: reads the raw body and answers 200 `EVENT_RECEIVED` when
 * X-Hub-Signature-256 is `sha256=<hex HMAC-SHA256 of it with the secret>`, else 401.
 * /ready answers 200.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';

const secret = process.env.BENCH_APP_SECRET;
if (!secret) {
  console.error('BENCH_APP_SECRET is required');
  process.exit(1);
}
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

function isSigned(body: Buffer, headers: IncomingHttpHeaders): boolean {
  const header = headers['x-hub-signature-256'];
  const match = typeof header === 'string' ? SIGNATURE.exec(header.trim()) : null;
  return match !== null && timingSafeEqual(Buffer.from(match[1]!, 'hex'), createHmac('sha256', secret!).update(body).digest());
}

const server = createServer((req, res) => {
  if (req.url === '/ready') return void res.end('ok');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const signed = isSigned(Buffer.concat(chunks), req.headers);
    res.writeHead(signed ? 200 : 401, { 'content-type': 'text/plain; charset=utf-8' }).end(signed ? 'EVENT_RECEIVED' : 'Invalid signature');
  });
});

server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 4300), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
