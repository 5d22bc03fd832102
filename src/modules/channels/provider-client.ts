import type { Channel, ChannelSession } from '../../generated/prisma/client.ts';
import { OutboundError, type OutboundHttp } from '../../outbound/http-client.ts';
import type { ChannelSender } from './contracts.ts';

/** How long one Graph API call may take, connection to last byte. */
const GRAPH_API_TIMEOUT_MS = 10_000;
/** Provider error texts are shown to users and stored on failed messages: keep them short. */
const MAX_ERROR_CHARS = 300;

export const channelNames: Record<Channel, string> = {
  WHATSAPP: 'WhatsApp',
  INSTAGRAM: 'Instagram',
  MESSENGER: 'Messenger',
  WEBSITE: 'The website widget',
};

/**
 * Why a provider call failed: `rejected` when the provider answered with a 4xx (bad credentials,
 * an unknown recipient), `unavailable` when it could not be reached or failed on its side,
 * `unsupported` when the session cannot make the call (no provider, or no credentials).
 */
export type ProviderFailure = 'rejected' | 'unavailable' | 'unsupported';

/** A failed provider call. Its message is safe to show and to store: it never holds the access token. */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderFailure,
    message: string,
    /** The provider's HTTP status, when it answered. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export type GraphApiSettings = { baseUrl: string; version: string };

type GraphAnswer = { messages?: { id?: unknown }[]; message_id?: unknown; error?: { message?: unknown } };

/**
 * The Meta Graph API for WhatsApp (Cloud API), Messenger and Instagram. Calls go through the
 * outbound client (timeouts, size cap, SSRF guard) to `{baseUrl}/{version}/…`, authenticated with
 * the session's access token as a bearer token.
 */
export class GraphApiClient implements ChannelSender {
  constructor(
    private readonly http: OutboundHttp,
    private readonly settings: GraphApiSettings,
  ) {}

  /**
   * Sends a text: WhatsApp `POST /{phone-number-id}/messages` with a `text` message; Messenger and
   * Instagram `POST /{page-or-account-id}/messages` with `recipient.id` and `messaging_type: RESPONSE`.
   */
  async send(session: ChannelSession, to: string, text: string): Promise<{ providerMessageId: string }> {
    const body =
      session.channel === 'WHATSAPP'
        ? { messaging_product: 'whatsapp', to, type: 'text', text: { body: text } }
        : { recipient: { id: to }, messaging_type: 'RESPONSE', message: { text } };
    const answer = await this.call(session, 'POST', 'messages', body);
    const id = session.channel === 'WHATSAPP' ? answer.messages?.[0]?.id : answer.message_id;
    if (typeof id !== 'string' || id === '') {
      throw new ProviderError('unavailable', `${channelNames[session.channel]} answered without a message id`);
    }
    return { providerMessageId: id };
  }

  /** Checks the session's id and access token by reading the number, page or account they name. */
  async verify(session: ChannelSession): Promise<void> {
    await this.call(session, 'GET', null);
  }

  private async call(session: ChannelSession, method: 'GET' | 'POST', edge: string | null, body?: object): Promise<GraphAnswer> {
    const name = channelNames[session.channel];
    if (session.channel === 'WEBSITE') throw new ProviderError('unsupported', 'Website sessions have no provider to call');
    if (!session.phoneNumberId || !session.accessToken) {
      throw new ProviderError('unsupported', `The session needs its phoneNumberId and accessToken to reach ${name}`);
    }
    const path = [this.settings.version, encodeURIComponent(session.phoneNumberId), ...(edge ? [edge] : [])].join('/');
    const url = `${this.settings.baseUrl}/${path}${method === 'GET' ? '?fields=id' : ''}`;
    const headers: Record<string, string> = { authorization: `Bearer ${session.accessToken}`, accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await this.http.request(url, { method, headers, body: body && JSON.stringify(body), timeoutMs: GRAPH_API_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof OutboundError) throw new ProviderError('unavailable', `${name} could not be reached: ${error.message}`);
      throw error;
    }
    const answer = parse(response.body);
    if (response.status >= 200 && response.status < 300) return answer ?? {};
    const reason = typeof answer?.error?.message === 'string' ? answer.error.message : 'no reason given';
    const message = redact(`${name} refused the request (HTTP ${response.status}): ${reason}`, session.accessToken);
    throw new ProviderError(response.status < 500 ? 'rejected' : 'unavailable', message, response.status);
  }
}

function parse(body: string): GraphAnswer | null {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' ? (value as GraphAnswer) : null;
  } catch {
    return null;
  }
}

/** A provider may echo what it was sent; the token must not travel on in an error. */
function redact(message: string, accessToken: string): string {
  return message.replaceAll(accessToken, '[redacted]').slice(0, MAX_ERROR_CHARS);
}
