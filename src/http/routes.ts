import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Registry } from 'prom-client';
import { GRAPHQL_PATH } from '../auth/cookies.ts';
import type { Logger } from '../logger.ts';
import { ACCEPT_INVITATION_PATH } from '../modules/invitations/service.ts';
import { ATTACHMENT_PATH_PREFIX } from '../modules/chats/attachments.ts';
import { MAX_ATTACHMENT_BYTES } from '../uploads/attachment-file.ts';
import { MAX_AUDIO_BYTES } from '../uploads/audio-file.ts';
import { matchChannelWebhook, type ChannelWebhookRoute } from './channel-webhooks.ts';
import { clientIp, REQUEST_ID_HEADER, requestIdOf, type AccessLogFields } from './context.ts';
import { DEMO_AGENT_PATH, DEMO_MODEL_PATH, serveDemoAgent } from './demo-agent.ts';
import { serveDemoModel } from './demo-model.ts';
import { GRAPHIQL_ASSETS_PATH } from './graphiql.ts';
import { METRICS_PATH, serveMetrics } from './metrics-endpoint.ts';
import { readBodyWithin } from './request-body.ts';
import { serveVerifyEmail, VERIFY_EMAIL_PATH } from './verify-email.ts';
import { serveWidgetLoader, serveWidgetPage, WIDGET_LOADER_PATH, WIDGET_PAGE_PATH, type WidgetPageDependencies } from './widget/page.ts';
import type { GraphQLServer } from './yoga.ts';

/** A GraphQL multipart request may carry a file (an attachment or a recording); the rest of its body (operations, map, boundaries) is small. */
const MAX_UPLOAD_BODY_BYTES = Math.max(MAX_ATTACHMENT_BYTES, MAX_AUDIO_BYTES) + 1024 * 1024;
const ATTACHMENT_PATH = new RegExp(`^${ATTACHMENT_PATH_PREFIX}([0-9a-f-]{36})/([0-9a-f]{64})$`);
/** `/avatars/agents/<id>/<sha256>` and `/avatars/users/<id>/<sha256>`: see agents/avatar.ts and users/avatar.ts. */
const AVATAR_PATH = /^\/avatars\/(agents|users)\/([0-9a-f-]{36})\/([0-9a-f]{64})$/;

type AvatarSource = { findAvatar(id: string, sha256: string): Promise<StoredFile | null> };

type RouteDependencies = {
  yoga: GraphQLServer;
  logger: Logger;
  maxBodyBytes: number;
  trustProxy: boolean;
  avatars: { agents: AvatarSource; users: AvatarSource };
  /** Chat attachments (chats/attachments.ts), served like avatars. */
  attachments: { findServed(id: string, sha256: string): Promise<{ mimeType: string; bytes: Uint8Array; name: string } | null> };
  /** The providers' inbound webhooks, `/channels/{whatsapp|instagram|messenger}/:sessionId` (channel-webhooks.ts). */
  channelWebhooks(req: IncomingMessage, res: ServerResponse, route: ChannelWebhookRoute): Promise<void>;
  /** GraphiQL's own files (graphiql.ts), when GraphiQL is served. */
  graphiqlAssets?(req: IncomingMessage, res: ServerResponse, name: string): Promise<void>;
  /** Serve the built-in demo agent and demo model (DEMO_AGENT). */
  demoAgent: boolean;
  /** The website chat widget's page and embeddable script (widget/page.ts). */
  widget: WidgetPageDependencies;
  /** The page of an invitation's link (accept-invitation.ts). */
  acceptInvitation(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Confirms an email from the link mailed to it (verify-email.ts). */
  verifyEmail(token: string): Promise<{ email: string }>;
  /** Resolves when the database (and Redis, when configured) answer; rejects otherwise. */
  checkReadiness(): Promise<void>;
  /** Which backends serve this instance, reported by /ready. */
  backends: { database: string; pubsub: string };
  isShuttingDown(): boolean;
  /** Set when metrics are on: every request is timed by route, and `/metrics` is served here unless it has a port of its own. */
  metrics?: { registry: Registry; onThisPort: boolean; observeHttp(route: string, method: string, status: number, seconds: number): void };
};

/** The route of a path, as a label with few values. */
function routeOf(path: string): string {
  if (path === GRAPHQL_PATH) return 'graphql';
  if (['/health', '/ready', METRICS_PATH, VERIFY_EMAIL_PATH, ACCEPT_INVITATION_PATH, DEMO_AGENT_PATH].includes(path)) return path.slice(1).replace('-', '_');
  if (path === DEMO_MODEL_PATH) return 'demo_model';
  if (path === WIDGET_LOADER_PATH) return 'widget_loader';
  if (WIDGET_PAGE_PATH.test(path)) return 'widget_page';
  if (AVATAR_PATH.test(path)) return 'avatar';
  if (ATTACHMENT_PATH.test(path)) return 'attachment';
  if (path.startsWith(GRAPHIQL_ASSETS_PATH)) return 'graphiql_assets';
  return matchChannelWebhook(path) ? 'channel_webhook' : 'other';
}

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
    // While draining, keep-alive clients open their next connection to another instance.
    if (deps.isShuttingDown()) res.setHeader('connection', 'close');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const { metrics } = deps;
    if (metrics) {
      const route = routeOf(path);
      const startedAt = performance.now();
      res.once('finish', () => metrics.observeHttp(route, req.method ?? 'GET', res.statusCode, (performance.now() - startedAt) / 1000));
      if (path === METRICS_PATH && metrics.onThisPort) return serveMetrics(res, metrics.registry, deps.logger);
    }

    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return ready(res, deps);
    const avatar = AVATAR_PATH.exec(path);
    if (avatar && (req.method === 'GET' || req.method === 'HEAD')) {
      const [, owners, ownerId, sha256] = avatar;
      return serveStoredFile(req, res, () => deps.avatars[owners as 'agents' | 'users'].findAvatar(ownerId!, sha256!), deps.logger, sha256!, 'avatar');
    }
    const attachment = ATTACHMENT_PATH.exec(path);
    if (attachment && (req.method === 'GET' || req.method === 'HEAD')) {
      const [, id, sha256] = attachment;
      return serveStoredFile(req, res, () => deps.attachments.findServed(id!, sha256!), deps.logger, sha256!, 'attachment');
    }
    const widgetPage = WIDGET_PAGE_PATH.exec(path);
    if ((widgetPage || path === WIDGET_LOADER_PATH) && (req.method === 'GET' || req.method === 'HEAD')) {
      return widgetPage ? serveWidgetPage(req, res, widgetPage[1]!, deps.widget) : serveWidgetLoader(req, res);
    }
    if (deps.graphiqlAssets && path.startsWith(GRAPHIQL_ASSETS_PATH)) return deps.graphiqlAssets(req, res, path.slice(GRAPHIQL_ASSETS_PATH.length));
    if (deps.demoAgent && path === DEMO_AGENT_PATH) return serveDemoAgent(req, res);
    if (deps.demoAgent && path === DEMO_MODEL_PATH) return serveDemoModel(req, res);
    if (path === VERIFY_EMAIL_PATH) return serveVerifyEmail(req, res, { verify: deps.verifyEmail, logger: deps.logger });
    if (path === ACCEPT_INVITATION_PATH) return deps.acceptInvitation(req, res);
    const channelWebhook = matchChannelWebhook(path);
    if (channelWebhook) return deps.channelWebhooks(req, res, channelWebhook);

    const maxBodyBytes = isUpload(req, path) ? Math.max(deps.maxBodyBytes, MAX_UPLOAD_BODY_BYTES) : deps.maxBodyBytes;
    const declaredLength = Number(req.headers['content-length'] ?? 0);
    if (declaredLength > maxBodyBytes) {
      return sendError(res, 413, 'BAD_USER_INPUT', `Request body is larger than ${maxBodyBytes} bytes`);
    }
    if (req.headers['transfer-encoding'] && req.method !== 'GET') {
      // A chunked body declares no length: it is read here under the same cap, and Yoga takes it
      // as read (Yoga's own cap would pipe every request's body through a stream, see yoga.ts).
      // As a stream, not the Buffer: Yoga's adapter lists a parsed body's keys, a Buffer's bytes.
      const body = await readBodyWithin(req, maxBodyBytes);
      if (!body) {
        res.setHeader('connection', 'close');
        return sendError(res, 413, 'BAD_USER_INPUT', `Request body is larger than ${maxBodyBytes} bytes`);
      }
      Object.assign(req, { body: Readable.from([body]) });
    }

    const startedAt = process.hrtime.bigint();
    const accessLog: AccessLogFields = {};
    res.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
      deps.logger.info({ requestId, method: req.method, path, status: res.statusCode, durationMs, ...accessLog }, 'request');
    });
    await deps.yoga.handle(req, res, { requestId, ip: clientIp(req, deps.trustProxy), accessLog });
  };
}

async function ready(res: ServerResponse, deps: RouteDependencies) {
  if (deps.isShuttingDown()) return sendJson(res, 503, { status: 'shutting_down', ...deps.backends });
  try {
    await deps.checkReadiness();
    sendJson(res, 200, { status: 'ready', ...deps.backends });
  } catch (error) {
    deps.logger.warn({ err: error }, 'readiness check failed');
    sendJson(res, 503, { status: 'unavailable', ...deps.backends });
  }
}

/** A GraphQL multipart request with a credential: only those may be as large as a file upload (every upload needs a sign-in or a key). */
function isUpload(req: IncomingMessage, path: string): boolean {
  const { headers } = req;
  const credentialed = Boolean(headers.authorization || headers['x-api-key'] || headers.cookie);
  return credentialed && path === GRAPHQL_PATH && req.method === 'POST' && /^multipart\/form-data\b/i.test(headers['content-type'] ?? '');
}

/** A header parameter value per RFC 5987: percent-encoded UTF-8, with the characters encodeURIComponent leaves but attr-char does not allow. */
const rfc5987 = (value: string) => encodeURIComponent(value).replace(/['()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

type StoredFile = { mimeType: string; bytes: Uint8Array; name?: string };

/**
 * Avatars and attachments are public by their unguessable, content-addressed URL, so browsers load
 * them in <img> and agents fetch them without credentials. A file that is not an image is offered
 * as a download, never rendered on this origin.
 */
async function serveStoredFile(req: IncomingMessage, res: ServerResponse, find: () => Promise<StoredFile | null>, logger: Logger, sha256: string, what: 'avatar' | 'attachment') {
  let file;
  try {
    file = await find();
  } catch (error) {
    logger.error({ err: error }, `could not read an ${what}`);
    return sendError(res, 503, 'INTERNAL_SERVER_ERROR', `The ${what} cannot be read right now`);
  }
  if (!file) return sendError(res, 404, 'NOT_FOUND', `${what === 'avatar' ? 'Avatar' : 'Attachment'} not found`);
  const etag = `"${sha256}"`;
  const disposition = file.mimeType.startsWith('image/') ? 'inline' : 'attachment';
  const headers = {
    'content-type': file.mimeType,
    'cache-control': 'public, max-age=31536000, immutable',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    ...(file.name ? { 'content-disposition': `${disposition}; filename*=UTF-8''${rfc5987(file.name)}` } : {}),
    etag,
  };
  if (req.headers['if-none-match'] === etag) return res.writeHead(304, headers).end();
  res.writeHead(200, { ...headers, 'content-length': file.bytes.byteLength });
  res.end(req.method === 'HEAD' ? undefined : file.bytes);
}
