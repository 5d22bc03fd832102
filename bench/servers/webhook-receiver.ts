/**
 * A webhook receiver for the delivery benchmark, run as its own process with PORT and HOST: it
 * answers 200 at once (under /slow/, after SLOW_ANSWER_MS) and keeps, per path, the arrival time of each request and, for first
 * attempts, the time since the event's `timestamp` (when its transaction wrote it).
 * GET /stats?path=<prefix> answers what it kept; POST /reset forgets it; /ready answers 200.
 */
import { createServer } from 'node:http';
import { SLOW_ANSWER_MS } from '../support/webhook-load.ts';

type Arrival = { at: number; firstAttempt: boolean; latencyMs: number };

let arrivals: (Arrival & { path: string })[] = [];
const TIMESTAMP = /"timestamp":"([^"]+)"/;

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://receiver');
  if (url.pathname === '/ready') return void res.end('ok');
  if (url.pathname === '/stats') {
    const prefix = url.searchParams.get('path') ?? '/';
    const matching = arrivals.filter((arrival) => arrival.path.startsWith(prefix));
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(matching.map(({ at, firstAttempt, latencyMs }) => [at, firstAttempt ? 1 : 0, latencyMs])));
  }
  if (url.pathname === '/reset') {
    arrivals = [];
    return void res.end('ok');
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const at = Date.now();
    const timestamp = TIMESTAMP.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
    const firstAttempt = req.headers['x-webhook-attempt'] === '1';
    arrivals.push({ path: url.pathname, at, firstAttempt, latencyMs: timestamp ? at - Date.parse(timestamp) : Number.NaN });
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (url.pathname.startsWith('/slow/')) setTimeout(answer, SLOW_ANSWER_MS);
    else answer();
  });
});

server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 4100), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
