import type { WebhookEndpoint } from '../../../generated/prisma/client.ts';
import { builder } from '../../../schema/builder.ts';
import { ChannelEnum, ChannelMessageRef } from '../channel-types.ts';
import { CreateWebhookEndpointPayload } from '../../webhooks/endpoints-schema.ts';
import { MAX_MESSAGE_CHARS } from './input.ts';
import type { SessionJson } from './messages.ts';
import { AutoReplyModeEnum, SessionRef } from './session-type.ts';
import { LIVE_ONLY } from '../../../schema/live-only.ts';

/** Sessions are part of what the whole team works with: changing them is an admin's decision. */
const adminWrite = { $all: { admin: true, scope: 'sessions:write' } } as const;
const SESSION_KEY_NOTE = "A session API key reaches only its own session; any other answers NOT_FOUND.";

const CreateSessionWebhookInput = builder.inputType('CreateSessionWebhookInput', {
  description: "A webhook endpoint to create with the session, bound to it: it receives only that session's events.",
  fields: (t) => ({
    url: t.string({ required: true, description: 'An http(s) URL without credentials, reachable on a public address.' }),
    events: t.stringList({ description: 'Event types from `webhookEventTypes`; omit or leave empty for every type.' }),
  }),
});

const CreateSessionInput = builder.inputType('CreateSessionInput', {
  description: 'A new channel session.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'What the team calls it, 1 to 100 characters.' }),
    channel: t.field({ type: ChannelEnum, required: true, description: 'Which channel it is an account of; fixed once created.' }),
    webhook: t.field({ type: CreateSessionWebhookInput, description: 'Also create a webhook endpoint bound to the session.' }),
  }),
});

const AutoReplyInput = builder.inputType('AutoReplyInput', {
  description: "A session's auto-reply setting, replacing the previous one whole.",
  fields: (t) => ({
    mode: t.field({ type: AutoReplyModeEnum, required: true, description: 'OFF, TEXT or AGENT.' }),
    text: t.string({ description: `The reply, 1 to ${MAX_MESSAGE_CHARS} characters; required for TEXT.` }),
    agentId: t.id({ description: "An agent of the team; required for AGENT." }),
  }),
});

const UpdateSessionInput = builder.inputType('UpdateSessionInput', {
  description: 'Changes to a session; omitted fields stay as they are, null clears an optional one. Secrets are write-only.',
  fields: (t) => ({
    name: t.string({ description: 'New name, 1 to 100 characters.' }),
    phoneNumberId: t.string({
      description: "Meta's numeric id for the account: WhatsApp's phone number id, Messenger's page id, Instagram's account id.",
    }),
    phoneNumber: t.string({ description: 'WhatsApp only: the number people write to, E.164 (+14155550123), for the QR code.' }),
    accessToken: t.string({ description: 'The Graph API access token the session calls Meta with. Write-only.' }),
    appSecret: t.string({ description: "The Meta app's secret, which signs the webhooks Meta sends. Write-only." }),
    verifyToken: t.string({ description: "The token Meta's webhook verification handshake must present. Write-only." }),
    allowedOrigins: t.stringList({
      description:
        'WEBSITE only: the https origins (https://example.com) whose pages may embed the widget, at most 20; null or empty for ' +
        'none. Outside production, http://localhost (or 127.0.0.1) origins too, for local development.',
    }),
    autoReply: t.field({ type: AutoReplyInput, description: 'How the session answers inbound messages on its own.' }),
  }),
});

const SendSessionMessageInput = builder.inputType('SendSessionMessageInput', {
  description: 'A message to a contact, through a session.',
  fields: (t) => ({
    sessionId: t.id({ required: true, description: 'The session to send through; it must be CONNECTED.' }),
    to: t.string({
      required: true,
      description:
        'WhatsApp: the phone number, international format (+ optional). Messenger and Instagram: the user id the provider ' +
        "gave the contact (a contact's `externalId`). Website: the visitor id of a visitor who wrote to the session.",
    }),
    text: t.string({ required: true, description: `1 to ${MAX_MESSAGE_CHARS} characters, not only whitespace.` }),
  }),
});

type CreatedSession = { session: SessionJson; apiKey: string; webhook: { endpoint: WebhookEndpoint; secret: string } | null };

const CreateSessionPayload = builder
  .objectRef<CreatedSession>('CreateSessionPayload')
  .implement({
    description: 'A new session. `apiKey` and the webhook secret are shown here once and never again: store them now.',
    fields: (t) => ({
      session: t.field({ type: SessionRef, description: 'The session, PENDING.', resolve: (payload) => payload.session }),
      apiKey: t.exposeString('apiKey', {
        description: "The session's API key (`sk_…`), valid only for this session's operations (`sessions:read`, `sessions:write`).",
      }),
      webhook: t.field({
        type: CreateWebhookEndpointPayload,
        nullable: true,
        description: 'The webhook endpoint bound to the session, with its signing secret; null when none was asked for.',
        resolve: (payload) => payload.webhook,
      }),
    }),
  });

builder.queryFields((t) => ({
  sessions: t.withAuth({ scope: 'sessions:read' }).field({
    type: [SessionRef],
    description: `The team's channel sessions, oldest first. ${SESSION_KEY_NOTE}`,
    resolve: (_root, _args, { services, viewer }) => services.sessions.list(viewer),
  }),
  session: t.withAuth({ scope: 'sessions:read' }).field({
    type: SessionRef,
    nullable: true,
    description: `One session; NOT_FOUND when the team has none with this id. ${SESSION_KEY_NOTE}`,
    args: { id: t.arg.id({ required: true, description: 'The session.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.sessions.get(viewer, id),
  }),
}));

builder.mutationFields((t) => {
  const sessionId = () => t.arg.id({ required: true, description: 'The session.' });
  return {
    createSession: t.withAuth(adminWrite).field({
      type: CreateSessionPayload,
      description:
        'Creates a PENDING session with its own API key and, when asked, a webhook endpoint bound to it. A team has at most ' +
        'SESSION_LIMIT_PER_TENANT sessions (CONFLICT beyond). Admins only; not with a session API key.',
      args: { input: t.arg({ type: CreateSessionInput, required: true, description: 'The input; each field is described on `CreateSessionInput`.' }) },
      resolve: (_root, { input }, { services, viewer }) => services.sessions.create(viewer, input),
    }),
    updateSession: t.withAuth(adminWrite).field({
      type: SessionRef,
      description:
        'Changes a session. New provider credentials (or, for the website, no allowed origins left) take a CONNECTED session ' +
        `back to PENDING. Admins only. ${SESSION_KEY_NOTE}`,
      args: { id: sessionId(), input: t.arg({ type: UpdateSessionInput, required: true, description: 'The input; each field is described on `UpdateSessionInput`.' }) },
      resolve: (_root, { id, input }, { services, viewer }) => services.sessions.update(viewer, id, input),
    }),
    deleteSession: t.withAuth(adminWrite).id({
      description:
        'Deletes a session with its API keys (their open connections close), bound webhook endpoints, contacts and messages; ' +
        `answers its id. Admins only. ${SESSION_KEY_NOTE}`,
      args: { id: sessionId() },
      resolve: (_root, { id }, { services, viewer }) => services.sessions.delete(viewer, id),
    }),
    connectSession: t.withAuth(adminWrite).field({
      type: SessionRef,
      description:
        'Makes a session CONNECTED: a provider session once the Graph API accepts its phoneNumberId and accessToken, a website ' +
        `session once it has allowedOrigins. Otherwise CONFLICT naming what to fix, and the status stays. Admins only. ${SESSION_KEY_NOTE}`,
      args: { id: sessionId() },
      resolve: (_root, { id }, { services, viewer }) => services.sessions.connect(viewer, id),
    }),
    disconnectSession: t.withAuth(adminWrite).field({
      type: SessionRef,
      description: `Makes a session DISCONNECTED: it sends nothing until connectSession. Admins only. ${SESSION_KEY_NOTE}`,
      args: { id: sessionId() },
      resolve: (_root, { id }, { services, viewer }) => services.sessions.disconnect(viewer, id),
    }),
    sendSessionMessage: t.withAuth(adminWrite).field({
      type: ChannelMessageRef,
      description:
        'Sends a text to a contact through a CONNECTED session (CONFLICT otherwise) and answers it, SENT, after `message.sent`. ' +
        "When the provider refuses it or cannot be reached, the message is stored as FAILED and the answer is CONFLICT with the " +
        `provider's reason. Website messages are stored for the visitor's widget. Admins only. ${SESSION_KEY_NOTE}`,
      args: { input: t.arg({ type: SendSessionMessageInput, required: true, description: 'The input; each field is described on `SendSessionMessageInput`.' }) },
      resolve: (_root, { input }, { services, viewer }) =>
        services.sessionMessages.send(viewer, input),
    }),
  };
});

builder.subscriptionField('sessionStatusChanged', (t) =>
  t.withAuth({ scope: 'sessions:read' }).field({
    extensions: LIVE_ONLY,
    type: SessionRef,
    description: `Sessions of the team as their status changes, live, as the change left them. ${SESSION_KEY_NOTE}`,
    args: { sessionId: t.arg.id({ description: "Only this session's changes." }) },
    subscribe: (_root, { sessionId }, { services, viewer }) =>
      services.sessions.statusChanges(viewer, sessionId || null),
    resolve: (session) => session,
  }),
);
