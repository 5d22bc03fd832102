import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';

export const METRICS_PATH = '/metrics';

/** The registry in Prometheus's text format. */
export async function serveMetrics(res: ServerResponse, registry: Registry, logger: Logger): Promise<void> {
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
    res.end(body);
  } catch (error) {
    logger.error({ err: error }, 'could not collect metrics');
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
  }
}

/** A server of its own for METRICS_PORT: `/metrics` and nothing else. */
export function createMetricsServer(registry: Registry, logger: Logger): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '/').split('?')[0] === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) return void serveMetrics(res, registry, logger);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  });
}
