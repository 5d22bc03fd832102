import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { PayloadError, parseProviderJson, type WebhookChannel } from '../modules/channels/normalize/index.ts';
import { HUB_SIGNATURE_HEADER, HUB_SIGNATURE_SHA1_HEADER } from '../modules/channels/signature.ts';
import type { ChannelWebhookIntake } from '../modules/channels/webhook-intake.ts';
import { REQUEST_ID_HEADER } from './context.ts';
import { readBodyWithin } from './request-body.ts';

/** Providers send small JSON batches; Meta documents no payload above a few hundred KB. */
export const MAX_CHANNEL_WEBHOOK_BYTES = 1024 * 1024;
/** Echoed back as the handshake's answer: Meta's challenges are short numbers. */
const MAX_CHALLENGE_LENGTH = 1024;

const CHANNEL_WEBHOOK_PATH = /^\/channels\/(whatsapp|instagram|messenger)\/([^/]+)$/;
const CHANNELS = { whatsapp: 'WHATSAPP', instagram: 'INSTAGRAM', messenger: 'MESSENGER' } as const satisfies Record<string, WebhookChannel>;

export type ChannelWebhookRoute = { channel: WebhookChannel; sessionId: string };

/** `/channels/{whatsapp|instagram|messenger}/:sessionId`, or null for any other path. */
export function matchChannelWebhook(path: string): ChannelWebhookRoute | null {
  const match = CHANNEL_WEBHOOK_PATH.exec(path);
  if (!match) return null;
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(match[2]!);
  } catch {
    sessionId = match[2]!;
  }
  return { channel: CHANNELS[match[1] as keyof typeof CHANNELS], sessionId };
}

type Dependencies = { intake: ChannelWebhookIntake; logger: Logger; maxBodyBytes?: number };

/**
 * The providers' callback URL. GET answers Meta's verification handshake; POST takes a signed
 * event payload: 401 when the signature is not the session's, 400 when the body is not the
 * channel's documented JSON, 413 above the size cap (nothing stored in each case), 200
 * `EVENT_RECEIVED` once the payload is stored to be processed (see ChannelWebhookIntake). An
 * unknown session, or one of another channel, is a plain 404.
 */
export function createChannelWebhookHandler(deps: Dependencies) {
  const maxBodyBytes = deps.maxBodyBytes ?? MAX_CHANNEL_WEBHOOK_BYTES;
  return async (req: IncomingMessage, res: ServerResponse, route: ChannelWebhookRoute): Promise<void> => {
    const logger = deps.logger.child({ requestId: res.getHeader(REQUEST_ID_HEADER), channel: route.channel, sessionId: route.sessionId });
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        return fail(res, 405, 'BAD_USER_INPUT', 'Use GET (verification) or POST (events)', { allow: 'GET, POST' });
      }
      const session = await deps.intake.session(route.channel, route.sessionId, { reuse: req.method === 'POST' });
      if (!session) return fail(res, 404, 'NOT_FOUND', 'Not found');

      if (req.method === 'GET') {
        const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
        const challenge = query.get('hub.challenge') ?? '';
        const verified =
          challenge.length <= MAX_CHALLENGE_LENGTH && (await deps.intake.verify(session, query.get('hub.mode'), query.get('hub.verify_token')));
        if (!verified) return fail(res, 403, 'FORBIDDEN', 'Verification failed');
        logger.info('channel webhook verified');
        return text(res, 200, challenge);
      }

      const body = await readBodyWithin(req, maxBodyBytes);
      if (!body) return fail(res, 413, 'BAD_USER_INPUT', `The body is larger than ${maxBodyBytes} bytes`, { connection: 'close' });
      if (!deps.intake.isSigned(session, body, { sha256: req.headers[HUB_SIGNATURE_HEADER], sha1: req.headers[HUB_SIGNATURE_SHA1_HEADER] })) {
        logger.warn('channel webhook refused: bad or missing signature');
        return fail(res, 401, 'UNAUTHENTICATED', 'Invalid or missing X-Hub-Signature-256');
      }
      let parsed: unknown;
      try {
        parsed = parseProviderJson(body.toString('utf8'));
      } catch {
        return fail(res, 400, 'BAD_USER_INPUT', 'The body is not JSON');
      }
      const accepted = await deps.intake.accept(session, parsed);
      logger.info(accepted, 'channel webhook accepted');
      return text(res, 200, 'EVENT_RECEIVED');
    } catch (error) {
      if (error instanceof PayloadError) return fail(res, 400, 'BAD_USER_INPUT', `Unexpected payload: ${error.message}`);
      logger.error({ err: error }, 'channel webhook failed');
      // 5xx: the provider retries, and the message ids make the retry safe.
      if (!res.headersSent) fail(res, 503, 'INTERNAL_SERVER_ERROR', 'Try again later');
    }
  };
}

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

/** Plain text: Meta expects the bare challenge back. */
function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE });
  res.end(body);
}

/** Errors in the shape of every other error of the API. */
function fail(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
