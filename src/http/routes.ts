import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.ts';
import { clientIp, REQUEST_ID_HEADER, requestIdOf } from './context.ts';
import type { GraphQLServer } from './yoga.ts';

type RouteDependencies = {
  yoga: GraphQLServer;
  logger: Logger;
  maxBodyBytes: number;
  trustProxy: boolean;
  /** Resolves when the database (and Redis, when configured) answer; rejects otherwise. */
  checkReadiness(): Promise<void>;
  isShuttingDown(): boolean;
};

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, code: string, message: string) {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** The plain HTTP surface: probes, the body size limit, request ids, access logs, then GraphQL. */
export function createRequestHandler(deps: RouteDependencies) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req, randomUUID);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const path = (req.url ?? '/').split('?')[0];

    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return ready(res, deps);

    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > deps.maxBodyBytes) {
      return sendError(res, 413, 'BAD_USER_INPUT', `Request body is larger than ${deps.maxBodyBytes} bytes`);
    }
    if (req.headers['transfer-encoding'] && req.method !== 'GET') {
      return sendError(res, 411, 'BAD_USER_INPUT', 'Send the body with a Content-Length');
    }

    const startedAt = process.hrtime.bigint();
    res.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      deps.logger.info({ requestId, method: req.method, path, status: res.statusCode, durationMs }, 'request');
    });
    await deps.yoga.handle(req, res, { requestId, ip: clientIp(req, deps.trustProxy) });
  };
}

async function ready(res: ServerResponse, deps: RouteDependencies) {
  if (deps.isShuttingDown()) return sendJson(res, 503, { status: 'shutting_down' });
  try {
    await deps.checkReadiness();
    sendJson(res, 200, { status: 'ready' });
  } catch (error) {
    deps.logger.warn({ err: error }, 'readiness check failed');
    sendJson(res, 503, { status: 'unavailable' });
  }
}
