import { builder } from '../../schema/builder.ts';
import type { Context } from '../../schema/context.ts';
import { ChannelMessageRef } from './channel-types.ts';
import type { VisitorMessageResult, WidgetRequest } from './widget-service.ts';

const ACCESS_RULES =
  'Public: no credentials, but the WEBSITE session, its publishable key and the Origin header must fit ' +
  "(UNAUTHENTICATED for an unknown session or a wrong key, alike; FORBIDDEN for an Origin that is neither one of " +
  "the session's `allowedOrigins` nor this server's own widget page, or none; CONFLICT while the session is not CONNECTED).";

const VisitorMessagePayload = builder.objectRef<VisitorMessageResult>('VisitorMessagePayload').implement({
  description: "A website visitor's stored message, with the replies stored by the time it was answered.",
  fields: (t) => ({
    conversationId: t.exposeID('conversationId', { description: 'The conversation the message belongs to.' }),
    message: t.field({ type: ChannelMessageRef, description: "The visitor's message.", resolve: (result) => result.message }),
    replies: t.field({
      type: [ChannelMessageRef],
      description: 'Replies already stored (an immediate auto-reply), oldest first; poll `visitorMessages` for later ones.',
      resolve: (result) => result.replies,
    }),
  }),
});

const VisitorMessageInput = builder.inputType('VisitorMessageInput', {
  description: "A website visitor's message, as the chat widget sends it from the visitor's browser.",
  fields: (t) => ({
    sessionId: t.id({ required: true, description: 'The WEBSITE session the widget belongs to.' }),
    publishableKey: t.string({ required: true, description: "The session's publishable key (`pk_…`), embedded in the widget." }),
    visitorId: t.string({
      required: true,
      description:
        "The visitor's opaque id, generated and kept by the widget: 8 to 100 letters, digits, `_` or `-`. It is all " +
        "that stands between a visitor and someone else's conversation, so make it random and at least 22 characters long.",
    }),
    text: t.string({ required: true, description: 'The message, 1 to 4000 characters.' }),
    clientMessageId: t.string({
      description: "The widget's own id for this message (format as visitorId): a retry with the same one stores nothing and answers the first.",
    }),
    name: t.string({ description: "The visitor's name, when they gave it." }),
    email: t.string({ description: "The visitor's email address, when they gave it." }),
  }),
});

const requestOf = (context: Context): WidgetRequest => ({ origin: context.origin, ip: context.ip });

builder.mutationField('visitorMessage', (t) =>
  t.field({
    type: VisitorMessagePayload,
    description:
      "Sends a website visitor's message to a WEBSITE session, as a provider's message arrives: it is stored, " +
      `announced, and auto-replied to. ${ACCESS_RULES} At most WIDGET_MESSAGES_PER_MINUTE per visitor and per ` +
      'address (RATE_LIMITED with `retryAfterSeconds`).',
    args: { input: t.arg({ type: VisitorMessageInput, required: true, description: 'The input; each field is described on `VisitorMessageInput`.' }) },
    resolve: (_root, { input }, context) => context.services.widget.postMessage(input, requestOf(context)),
  }),
);

builder.queryField('visitorMessages', (t) =>
  t.field({
    type: [ChannelMessageRef],
    description:
      "A website visitor's messages and the replies to them, oldest first, for the widget to poll: at most 100, " +
      `those after \`after\` or else the latest. Messages that failed to go out are left out. ${ACCESS_RULES}`,
    args: {
      sessionId: t.arg.id({ required: true, description: 'The WEBSITE session the widget belongs to.' }),
      publishableKey: t.arg.string({ required: true, description: "The session's publishable key (`pk_…`)." }),
      visitorId: t.arg.string({ required: true, description: "The visitor's opaque id, as sent with their messages." }),
      after: t.arg.string({ description: 'The id of the last message the widget has; only later ones are returned.' }),
    },
    resolve: (_root, args, context) => context.services.widget.messages(args, requestOf(context)),
  }),
);

builder.subscriptionField('visitorReplies', (t) =>
  t.field({
    type: ChannelMessageRef,
    description:
      "The replies to a website visitor, live, as they are stored (an auto-reply, or a teammate's answer), for the " +
      'widget to show without polling; over SSE from a browser. Messages that failed to go out are left out. ' +
      ACCESS_RULES,
    args: {
      sessionId: t.arg.id({ required: true, description: 'The WEBSITE session the widget belongs to.' }),
      publishableKey: t.arg.string({ required: true, description: "The session's publishable key (`pk_…`)." }),
      visitorId: t.arg.string({ required: true, description: "The visitor's opaque id, as sent with their messages." }),
    },
    subscribe: (_root, args, context) => context.services.widget.replies(args, requestOf(context)),
    resolve: (message) => message,
  }),
);
