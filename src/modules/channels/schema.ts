import { builder } from '../../schema/builder.ts';
import { ChannelContactRef, ChannelMessageRef } from './channel-types.ts';
import { LIVE_ONLY } from '../../schema/live-only.ts';

const ConversationStatusEnum = builder.enumType('ConversationStatus', {
  description: 'Whether a channel conversation is going on.',
  values: {
    OPEN: { description: "Going on: the contact's next message joins it." },
    CLOSED: {
      description: 'Ended with `closeConversation`, or after no message for CONVERSATION_IDLE_CLOSE_HOURS; the next message starts a new one.',
    },
  } as const,
});

builder.prismaObject('ChannelConversation', {
  name: 'Conversation',
  description: 'A conversation of a contact with a channel session: their messages and the replies, while it is OPEN.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    sessionId: t.exposeID('sessionId', { description: 'The session it happens on.' }),
    status: t.expose('status', { type: ConversationStatusEnum, description: 'Whether it is going on.' }),
    contact: t.relation('contact', { type: ChannelContactRef, description: 'Who the session talks with.' }),
    lastMessageAt: t.expose('lastMessageAt', { type: 'DateTime', description: 'When its latest message arrived or went out.' }),
    firstResponseAt: t.expose('firstResponseAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the first reply went out; null while unanswered.',
    }),
    closedAt: t.expose('closedAt', { type: 'DateTime', nullable: true, description: 'When it was closed; null while OPEN.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When its first message arrived.' }),
    messages: t.relatedConnection(
      'messages',
      {
        type: ChannelMessageRef,
        cursor: 'id',
        description:
          'Its messages, inbound and outbound, oldest first. Load the newest with `last: 20` and page back with ' +
          '`before: pageInfo.startCursor`; `first`/`after` page forward. At most 100 per page, 20 by default.',
        defaultSize: 20,
        maxSize: 100,
        query: { orderBy: { id: 'asc' } },
      },
      { name: 'ConversationMessageConnection', description: 'A page of channel messages, oldest first.' },
      { name: 'ConversationMessageEdge', description: 'A channel message and its cursor.' },
    ),
  }),
});

builder.queryFields((t) => ({
  conversations: t.withAuth({ scope: 'sessions:read' }).prismaConnection(
    {
      type: 'ChannelConversation',
      cursor: 'id',
      description: "The team's channel conversations, newest first (a session API key sees its own session's only).",
      args: {
        sessionId: t.arg.id({ description: "Only this session's; a session you cannot reach matches nothing." }),
        status: t.arg({ type: ConversationStatusEnum, description: 'Only OPEN, or only CLOSED, conversations.' }),
      },
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, { sessionId, status }, { services, viewer }) =>
        services.channelConversations.list(viewer, { sessionId: sessionId || null, status }, query),
    },
    { name: 'ConversationConnection', description: 'A page of channel conversations, newest first.' },
    { name: 'ConversationEdge', description: 'A channel conversation and its cursor.' },
  ),
  conversation: t.withAuth({ scope: 'sessions:read' }).prismaField({
    type: 'ChannelConversation',
    nullable: true,
    description: "A channel conversation of the team; another team's answers NOT_FOUND (an error, with `conversation` null).",
    args: { id: t.arg.id({ required: true, description: 'The conversation.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.channelConversations.get(viewer, id, query),
  }),
}));

builder.mutationField('closeConversation', (t) =>
  t.withAuth({ scope: 'sessions:write' }).prismaField({
    type: 'ChannelConversation',
    description:
      "Closes an OPEN conversation and sends `conversation.closed`; the contact's next message starts a new one. " +
      'A conversation already CLOSED is answered unchanged, with no event.',
    args: { id: t.arg.id({ required: true, description: 'The conversation.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.channelConversations.close(viewer, id, query),
  }),
);

builder.subscriptionField('channelMessageReceived', (t) =>
  t.withAuth({ scope: 'sessions:read' }).field({
    extensions: LIVE_ONLY,
    type: ChannelMessageRef,
    description:
      "Messages contacts send to the team's sessions (WhatsApp, Instagram, Messenger, website), live, once stored; " +
      'a redelivered message is not sent again.',
    args: {
      sessionId: t.arg.id({ description: "Only this session's messages; a session you cannot reach answers NOT_FOUND." }),
    },
    subscribe: (_root, { sessionId }, { services, viewer }) =>
      services.channelConversations.received(viewer, sessionId || null),
    resolve: (message) => message,
  }),
);
