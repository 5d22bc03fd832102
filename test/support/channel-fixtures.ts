/**
 * Provider webhook payloads in the shapes Meta documents, signed as Meta signs them
 * (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>`).
 * @see https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
 * @see https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
 * @see https://developers.facebook.com/docs/instagram-platform/webhooks/examples
 */
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import type { GraphQLClient } from './client.ts';
import { eventually } from './fixtures.ts';
import { CreateSession, SessionById, UpdateSession } from './session-operations.ts';

export type WebhookChannelPath = 'whatsapp' | 'instagram' | 'messenger';

/** A text someone sent; ids default to fresh ones in the provider's style. */
export type TextMessage = { id?: string; from?: string; name?: string; text?: string; at?: Date };

const unixSeconds = (at: Date) => String(Math.floor(at.getTime() / 1000));

export const whatsappMessageId = () => `wamid.HBgL${randomUUID().replaceAll('-', '').toUpperCase()}`;
export const messengerMessageId = () => `m_${randomUUID().replaceAll('-', '')}`;
export const instagramMessageId = () => `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj${randomUUID().replaceAll('-', '')}`;

/** WhatsApp Cloud API: one `messages` change of the business account, for the number `phoneNumberId`. */
function whatsappChange<Value extends object>(phoneNumberId: string, value: Value) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

/** WhatsApp Cloud API: the senders' profiles and their text messages. */
export function whatsappText(phoneNumberId: string, messages: TextMessage[]) {
  const sent = messages.map((message) => ({ ...message, id: message.id ?? whatsappMessageId(), from: message.from ?? '5511999999999' }));
  return whatsappChange(phoneNumberId, {
    contacts: [...new Map(sent.map((message) => [message.from, { profile: { name: message.name ?? 'Ana' }, wa_id: message.from }])).values()],
    messages: sent.map((message) => ({
      from: message.from,
      id: message.id,
      timestamp: unixSeconds(message.at ?? new Date()),
      type: 'text',
      text: { body: message.text ?? 'Hi' },
    })),
  });
}

/** WhatsApp Cloud API: delivery reports of messages the business sent. */
export function whatsappStatuses(phoneNumberId: string, statuses: { id: string; status: 'sent' | 'delivered' | 'read' | 'failed' }[]) {
  return whatsappChange(phoneNumberId, {
    statuses: statuses.map(({ id, status }) => ({
      id,
      status,
      timestamp: unixSeconds(new Date()),
      recipient_id: '5511999999999',
      ...(status === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable' }] } : {}),
    })),
  });
}

/** The Messenger Platform shape: `page` for Messenger, `instagram` for Instagram. */
function messaging(object: 'page' | 'instagram', accountId: string, messages: (TextMessage & { isEcho?: boolean })[]) {
  const time = Date.now();
  return {
    object,
    entry: [
      {
        id: accountId,
        time,
        messaging: messages.map((message) => {
          const sender = message.from ?? (object === 'page' ? '6783912345678901' : '17841400000000001');
          const at = (message.at ?? new Date()).getTime();
          return {
            sender: { id: message.isEcho ? accountId : sender },
            recipient: { id: message.isEcho ? sender : accountId },
            timestamp: at,
            message: {
              mid: message.id ?? (object === 'page' ? messengerMessageId() : instagramMessageId()),
              text: message.text ?? 'Hi',
              ...(message.isEcho ? { is_echo: true } : {}),
            },
          };
        }),
      },
    ],
  };
}

/** Messenger: `{"object":"page","entry":[{"id":<PAGE_ID>,"time","messaging":[{sender,recipient,timestamp,message:{mid,text}}]}]}`. */
export const messengerText = (pageId: string, messages: TextMessage[]) => messaging('page', pageId, messages);

/** Instagram: like Messenger with `"object":"instagram"`; `isEcho` marks what the account itself sent. */
export const instagramText = (igId: string, messages: (TextMessage & { isEcho?: boolean })[]) => messaging('instagram', igId, messages);

export function hubSignature(appSecret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** What a provider's POST does: the raw body signed with the app secret, unless `signature` says otherwise (null: no header). */
export function postWebhook(
  origin: string,
  channel: WebhookChannelPath,
  sessionId: string,
  body: unknown,
  options: { appSecret: string; signature?: string | null },
) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const signature = options.signature === undefined ? hubSignature(options.appSecret, raw) : options.signature;
  return fetch(`${origin}/channels/${channel}/${sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
    body: raw,
  });
}

/** Meta's verification request: `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`. */
export function verifyWebhook(origin: string, channel: WebhookChannelPath, sessionId: string, verifyToken: string, challenge: string) {
  const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge });
  return fetch(`${origin}/channels/${channel}/${sessionId}?${query}`);
}

/** A session as the provider knows it: where to call, the secrets to sign and verify with, and its own API key. */
export type ChannelSessionFixture = {
  id: string;
  appSecret: string;
  verifyToken: string;
  phoneNumberId: string;
  /** The Graph API token the session sends with; a Graph API stand-in accepts it once told to. */
  accessToken: string;
  apiKey: string;
};

/** A PENDING session of `channel`, created through the API, with its provider settings (secrets, account id). */
export async function connectChannelSession(client: GraphQLClient, token: string, channel: 'WHATSAPP' | 'MESSENGER' | 'INSTAGRAM'): Promise<ChannelSessionFixture> {
  const settings = {
    appSecret: `app-secret-${randomUUID()}`,
    verifyToken: `verify-${randomUUID()}`,
    accessToken: `EAAG${randomUUID().replaceAll('-', '')}`,
    phoneNumberId: String(randomInt(100_000_000_000, 999_999_999_999)),
  };
  const { createSession } = await client.data(CreateSession, { input: { name: `${channel.toLowerCase()} test`, channel } }, { token });
  await client.data(UpdateSession, { id: createSession.session.id, input: settings }, { token });
  return { id: createSession.session.id, apiKey: createSession.apiKey, ...settings };
}

/** Waits for the session to reach `status`: after a handshake, a consumer connects it moments after Meta is answered. */
export function sessionStatusReached(client: GraphQLClient, token: string, sessionId: string, status: 'CONNECTED' | 'DISCONNECTED' | 'PENDING') {
  return eventually(
    async () => ((await client.data(SessionById, { id: sessionId }, { token })).session?.status === status ? status : undefined),
    5_000,
    `session ${sessionId} to be ${status}`,
  );
}
