import { builder } from '../../schema/builder.ts';

export const ChannelEnum = builder.enumType('Channel', {
  description: 'The messaging channel a session is an account of.',
  values: {
    WHATSAPP: { description: 'A WhatsApp Business number, through the WhatsApp Cloud (Graph) API.' },
    INSTAGRAM: { description: 'An Instagram professional account, through the Graph API.' },
    MESSENGER: { description: 'A Facebook page, through the Messenger Platform (Graph API).' },
    WEBSITE: { description: "The chat widget on the team's own website; no provider involved." },
  } as const,
});

export const MessageDirectionEnum = builder.enumType('MessageDirection', {
  description: 'Which way a channel message went.',
  values: {
    INBOUND: { description: 'A contact wrote to the session.' },
    OUTBOUND: { description: 'The session wrote to a contact (a person, or an auto-reply).' },
  } as const,
});

export const ChannelMessageStatusEnum = builder.enumType('ChannelMessageStatus', {
  description: 'Where a channel message is in its life.',
  values: {
    RECEIVED: { description: 'Inbound: stored as the provider delivered it.' },
    SENT: { description: 'Outbound: accepted by the provider (or, for the website, stored for the widget).' },
    DELIVERED: { description: "Outbound: the provider reports it reached the contact's device." },
    READ: { description: 'Outbound: the provider reports the contact read it.' },
    FAILED: { description: 'Outbound: the provider refused it; `error` says why.' },
  } as const,
});

export const ChannelContactRef = builder.prismaObject('ChannelContact', {
  description: "Someone who wrote to a session, known by the provider's id for them (or a widget visitor id).",
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    sessionId: t.exposeID('sessionId', { description: 'The session they wrote to.' }),
    externalId: t.exposeString('externalId', {
      description: "The provider's id for them: a WhatsApp number's digits, a page- or account-scoped user id, or a widget visitor id.",
    }),
    name: t.exposeString('name', { nullable: true, description: 'Their name, when the channel tells it.' }),
    phone: t.exposeString('phone', { nullable: true, description: 'Their phone number, when known.' }),
    email: t.exposeString('email', { nullable: true, description: 'Their email address, when known.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When they first wrote.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When what is known of them last changed.' }),
  }),
});

export const ChannelMessageRef = builder.prismaObject('ChannelMessage', {
  description: 'One message of a channel conversation, inbound or outbound.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    sessionId: t.exposeID('sessionId', { description: 'The session it went through.' }),
    conversationId: t.exposeID('conversationId', { description: 'The conversation it belongs to.' }),
    direction: t.expose('direction', { type: MessageDirectionEnum, description: 'Inbound or outbound.' }),
    providerMessageId: t.exposeString('providerMessageId', {
      nullable: true,
      description: "The provider's id for it (e.g. `wamid.…`); null for website messages and failed sends.",
    }),
    text: t.exposeString('text', { description: 'The text.' }),
    status: t.expose('status', { type: ChannelMessageStatusEnum, description: 'Where the message is in its life.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why a FAILED message failed, safe to show.' }),
    occurredAt: t.expose('occurredAt', {
      type: 'DateTime',
      description: 'When the provider says it was written (inbound) or when it was sent (outbound).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was stored.' }),
  }),
});
