import type { IncomingMessage } from 'node:http';
import { createCookieJar, type CookiePolicy } from '../auth/cookies.ts';
import type { PresentedCredentials } from '../auth/credentials.ts';
import { CSRF_HEADER } from '../auth/csrf.ts';
import type { Viewer } from '../auth/viewer.ts';
import { AppError, serviceUnavailable } from '../errors.ts';
import { isBackingServiceOutage } from '../outage.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { Context } from '../schema/context.ts';
import type { Services } from '../services.ts';

/** What the access log of an HTTP request says besides the request itself; filled in as GraphQL learns it. */
export type AccessLogFields = { operationName?: string; tenantId?: string; userId?: string; apiKeyId?: string };

/** What the HTTP server or the WebSocket server knows about a request before GraphQL runs. */
export type TransportContext = {
  requestId: string;
  ip: string | null;
  /** Set by the WebSocket server, which authenticates once per connection. */
  connectionViewer?: Viewer | null;
  request?: Request;
  /** Set by the HTTP server: who and what the request was, for its access log. */
  accessLog?: AccessLogFields;
};

export type ContextDependencies = {
  services: Services;
  prisma: PrismaClient;
  logger: Logger;
  cookies: CookiePolicy;
};

/** Builds the GraphQL context; never throws, so refused credentials surface as field errors. */
export async function buildContext(transport: TransportContext, deps: ContextDependencies): Promise<Context> {
  const logger = deps.logger.child({ requestId: transport.requestId });
  const headers = transport.request?.headers;
  const cookies = createCookieJar(headers?.get('cookie'), deps.cookies);
  const csrfHeader = headers?.get(CSRF_HEADER) ?? null;
  const origin = headers?.get('origin') ?? null;
  const base = { requestId: transport.requestId, logger, ip: transport.ip, origin, cookies, csrfHeader, services: deps.services, prisma: deps.prisma };

  if (transport.connectionViewer !== undefined) {
    return { ...base, viewer: transport.connectionViewer, credentialError: null };
  }
  const presented: PresentedCredentials = {
    authorization: headers?.get('authorization'),
    apiKey: headers?.get('x-api-key'),
    cookies: cookies.all(),
    csrfHeader,
  };
  try {
    const viewer = await deps.services.credentials.resolve(presented);
    if (transport.accessLog) Object.assign(transport.accessLog, accessLogFieldsOf(viewer));
    return { ...base, viewer, credentialError: null };
  } catch (error) {
    if (error instanceof AppError) return { ...base, viewer: null, credentialError: error };
    if (isBackingServiceOutage(error)) {
      logger.warn({ err: error }, 'could not resolve credentials: a backing service is unavailable');
      return { ...base, viewer: null, credentialError: serviceUnavailable(transport.requestId) };
    }
    logger.error({ err: error }, 'could not resolve credentials');
    const internal = new AppError('INTERNAL_SERVER_ERROR', `Internal server error (request id ${transport.requestId})`);
    return { ...base, viewer: null, credentialError: internal };
  }
}

function accessLogFieldsOf(viewer: Viewer | null): AccessLogFields {
  return {
    tenantId: viewer?.tenantId,
    userId: viewer?.userId,
    apiKeyId: viewer?.credential.kind === 'apiKey' ? viewer.credential.apiKeyId : undefined,
  };
}

export const REQUEST_ID_HEADER = 'x-request-id';

/** Honours a caller's request id when it is a sane token, so logs can be joined across services. */
export function requestIdOf(req: IncomingMessage, fallback: () => string): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : fallback();
}

export function clientIp(req: IncomingMessage, trustProxy: boolean): string | null {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string') return forwarded.split(',')[0]!.trim();
  return req.socket.remoteAddress ?? null;
}
