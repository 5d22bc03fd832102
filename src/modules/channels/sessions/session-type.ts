import { builder } from '../../../schema/builder.ts';
import { ChannelEnum } from '../channel-types.ts';
import type { SessionJson } from './messages.ts';

export const SessionStatusEnum = builder.enumType('SessionStatus', {
  description: "Where a session is in its lifecycle; each change sends `session.status_changed` and `sessionStatusChanged`.",
  values: {
    PENDING: { description: 'Created, or its credentials changed: not checked yet.' },
    CONNECTED: {
      description: 'Checked with connectSession (or Meta verified its webhook): a provider session can send, the widget can run.',
    },
    DISCONNECTED: { description: 'Switched off by an admin with disconnectSession; sends nothing until connected again.' },
  } as const,
});

export const AutoReplyModeEnum = builder.enumType('AutoReplyMode', {
  description: 'How a session answers inbound messages on its own.',
  values: {
    OFF: { description: 'It does not: people answer with `sendSessionMessage`.' },
    TEXT: { description: 'With the fixed `text`.' },
    AGENT: { description: 'With the reply of the agent `agentId`, given the conversation.' },
  } as const,
});

const AutoReplyRef = builder.objectRef<SessionJson['autoReply']>('AutoReply').implement({
  description: "A session's auto-reply setting.",
  fields: (t) => ({
    mode: t.expose('mode', { type: AutoReplyModeEnum, description: 'OFF, TEXT or AGENT.' }),
    text: t.exposeString('text', { nullable: true, description: 'The fixed reply of TEXT mode.' }),
    agentId: t.exposeID('agentId', { nullable: true, description: 'The agent that answers in AGENT mode; null once it is deleted.' }),
  }),
});

export const SessionRef = builder.objectRef<SessionJson>('Session').implement({
  description:
    "A messaging-channel account of the team: a WhatsApp number, a Facebook page, an Instagram account or the website widget. " +
    'Its provider secrets are write-only: only whether each is set shows.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    name: t.exposeString('name', { description: 'What the team calls it.' }),
    channel: t.expose('channel', { type: ChannelEnum, description: 'Which channel it is an account of.' }),
    status: t.expose('status', { type: SessionStatusEnum, description: 'PENDING, CONNECTED or DISCONNECTED.' }),
    statusChangedAt: t.expose('statusChangedAt', {
      type: 'DateTime',
      description: 'When the status last changed (or the session was created).',
    }),
    qrCode: t.string({
      nullable: true,
      description:
        'A QR code as a PNG data URI (`data:image/png;base64,…`). It opens: WhatsApp, `https://wa.me/<digits of phoneNumber>`; ' +
        'Messenger, `https://m.me/<phoneNumberId>`; Instagram, `https://ig.me/m/<phoneNumberId>`; website, the widget pairing link ' +
        '`<public URL>/widget/<id>?key=<publishableKey>`. Null until the number or id it needs is set.',
      resolve: (session, _args, { services }) => services.sessions.qrCode(session),
    }),
    phoneNumberId: t.exposeString('phoneNumberId', {
      nullable: true,
      description: "Meta's id for the account: WhatsApp's phone number id, Messenger's page id, Instagram's account id.",
    }),
    phoneNumber: t.exposeString('phoneNumber', { nullable: true, description: 'WhatsApp: the number people write to, E.164.' }),
    hasAccessToken: t.exposeBoolean('hasAccessToken', { description: 'Whether the Graph API access token is set. Never shown.' }),
    hasAppSecret: t.exposeBoolean('hasAppSecret', { description: "Whether the Meta app secret (webhook signatures) is set. Never shown." }),
    hasVerifyToken: t.exposeBoolean('hasVerifyToken', { description: 'Whether the webhook verify token is set. Never shown.' }),
    publishableKey: t.exposeString('publishableKey', {
      nullable: true,
      description:
        "WEBSITE: the widget's key (`pk_…`), public by design: with it, pages on `allowedOrigins` embed the widget, and " +
        'anyone may open the hosted widget page the QR code links to.',
    }),
    allowedOrigins: t.exposeStringList('allowedOrigins', { description: 'WEBSITE: the origins whose pages may embed the widget.' }),
    autoReply: t.field({
      type: AutoReplyRef,
      description: 'How the session answers inbound messages on its own.',
      resolve: (session) => session.autoReply,
    }),
    webhookUrl: t.exposeString('webhookUrl', {
      nullable: true,
      description: "The callback URL to give Meta for this session's webhooks (`<public URL>/channels/<channel>/<id>`); null for WEBSITE.",
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the session was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When its settings or status last changed.' }),
  }),
});
