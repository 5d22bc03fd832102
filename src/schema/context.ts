import type { CookieJar } from '../auth/cookies.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { AppError } from '../errors.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';

/** Everything a resolver may use. Built once per HTTP request or WebSocket operation. */
export type Context = {
  requestId: string;
  logger: Logger;
  /** Null when nothing was presented, or when what was presented was refused. */
  viewer: Viewer | null;
  /** Why presented credentials were refused, answered when an operation needs a viewer. */
  credentialError: AppError | null;
  ip: string | null;
  /** The request's Origin header (browsers send it on cross-origin requests); null when absent and over WebSocket. */
  origin: string | null;
  cookies: CookieJar;
  /** The X-CSRF-Token header, checked whenever a cookie stands in for a credential. */
  csrfHeader: string | null;
  services: Services;
  prisma: PrismaClient;
};

/** The context of a field guarded by an auth scope: every scope requires a viewer. */
export type AuthenticatedContext = Context & { viewer: Viewer };
