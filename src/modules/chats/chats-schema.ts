import { builder } from '../../schema/builder.ts';
import { DEFAULT_CHAT_TITLE } from './chats-service.ts';
import type { ChatExport } from './export-format.ts';
import { EXPORT_MAX_MESSAGES, SEARCH_DEFAULT_SIZE, SEARCH_MAX_SIZE } from './history-service.ts';
import './message-type.ts';

builder.prismaObject('Chat', {
  description: 'A conversation between a user and an agent. Private to its owner unless shared with the team.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    title: t.exposeString('title', { description: 'Shown in chat lists; 1 to 200 characters.' }),
    metadata: t.expose('metadata', { type: 'JSON', description: "Free-form JSON object kept for the client's own use." }),
    archived: t.exposeBoolean('archived', { description: 'Archived chats are left out of `chats` unless `includeArchived` is set.' }),
    sharedWithTeam: t.exposeBoolean('sharedWithTeam', {
      description: 'Whether every member of the team sees the chat and may write in it; only the owner changes or deletes it.',
    }),
    agentId: t.exposeID('agentId', { nullable: true, description: 'The agent that answers; null once that agent was deleted.' }),
    owner: t.relation('owner', { description: 'The user who created the chat.' }),
    lastMessageAt: t.expose('lastMessageAt', { type: 'DateTime', nullable: true, description: 'When the latest message was written.' }),
    unreadCount: t.int({
      description: 'Messages after the last one you marked read (`markChatRead`; sending a message marks it read); all of them until you mark any.',
      resolve: (chat, _args, { services, viewer }) => services.chatReads.unreadCount(viewer!, chat.id),
    }),
    lastReadMessageId: t.id({
      nullable: true,
      description: 'The last message you marked read in this chat; null until you mark one.',
      resolve: (chat, _args, { services, viewer }) => services.chatReads.lastRead(viewer!, chat.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the chat was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the chat last changed.' }),
    messages: t.relatedConnection(
      'messages',
      {
        cursor: 'id',
        description:
          'The messages, oldest first. A chat view loads the newest with `last: 20` and pages back with ' +
          '`before: pageInfo.startCursor`; `first`/`after` page forward. At most 100 per page, 20 by default.',
        defaultSize: 20,
        maxSize: 100,
        query: { orderBy: { id: 'asc' } },
      },
      { name: 'MessageConnection', description: 'A page of messages, oldest first.' },
      { name: 'MessageEdge', description: 'A message and its cursor.' },
    ),
  }),
});

const ChatExportFormatEnum = builder.enumType('ChatExportFormat', {
  description: 'The file format of `exportChat`.',
  values: {
    MARKDOWN: {
      description: 'The title as a heading, then for each message a `## Role · time` heading (with its status unless COMPLETED) and its content.',
    },
    JSON: {
      description:
        'A document `{version: 1, exportedAt, truncated, chat: {id, title, agentId, ownerId, metadata, archived, ' +
        'sharedWithTeam, createdAt, updatedAt, lastMessageAt}, messages: [{id, role, status, content, error, ' +
        'createdAt, completedAt}]}`; times are ISO 8601 UTC, `role` and `status` the enum values here. Within a ' +
        'version keys are only ever added.',
    },
  } as const,
});

const ChatExportRef = builder.objectRef<ChatExport>('ChatExport').implement({
  description: `A chat as a file to download, with its messages oldest first (at most ${EXPORT_MAX_MESSAGES}).`,
  fields: (t) => ({
    filename: t.exposeString('filename', { description: 'A suggested file name, from the title (e.g. `trip-to-rome.md`).' }),
    mimeType: t.exposeString('mimeType', { description: '`text/markdown; charset=utf-8` or `application/json`.' }),
    content: t.exposeString('content', { description: 'The whole file.' }),
  }),
});

const CreateChatInput = builder.inputType('CreateChatInput', {
  description: 'A new chat, owned by the viewer.',
  fields: (t) => ({
    agentId: t.id({ required: true, description: 'The agent that answers: an active agent of the tenant.' }),
    title: t.string({ description: `Shown in chat lists, 1 to 200 characters; defaults to "${DEFAULT_CHAT_TITLE}".` }),
    metadata: t.field({ type: 'JSON', description: "A JSON object for the client's own use, at most 16 KB; defaults to {}." }),
    sharedWithTeam: t.boolean({ defaultValue: false, description: 'Whether the whole team sees the chat; defaults to false.' }),
  }),
});

const UpdateChatInput = builder.inputType('UpdateChatInput', {
  description: 'Changes to a chat; omitted (or null) fields stay as they are.',
  fields: (t) => ({
    title: t.string({ description: 'New title, 1 to 200 characters.' }),
    metadata: t.field({ type: 'JSON', description: 'A JSON object (at most 16 KB) replacing the old metadata as a whole.' }),
    archived: t.boolean({ description: 'Archive (true) or restore (false) the chat.' }),
    sharedWithTeam: t.boolean({ description: 'Share with the whole team (true) or make private again (false).' }),
  }),
});

builder.queryFields((t) => ({
  chats: t.withAuth({ scope: 'chats:read' }).prismaConnection(
    {
      type: 'Chat',
      cursor: 'id',
      description: 'Your chats and those shared with your team, newest first.',
      args: {
        includeArchived: t.arg.boolean({ defaultValue: false, description: 'Also list archived chats.' }),
      },
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, { includeArchived }, { services, viewer }) => services.chats.list(viewer, { includeArchived: includeArchived ?? false }, query),
    },
    { name: 'ChatConnection', description: 'A page of chats, newest first.' },
    { name: 'ChatEdge', description: 'A chat and its cursor.' },
  ),
  chat: t.withAuth({ scope: 'chats:read' }).prismaField({
    type: 'Chat',
    nullable: true,
    description:
      "A chat you own or that is shared with your team; anyone else's answers NOT_FOUND (an error, with `chat` null).",
    args: { id: t.arg.id({ required: true, description: 'The chat.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.chats.get(viewer, id, query),
  }),
  searchMessages: t.withAuth({ scope: 'chats:read' }).prismaField({
    type: ['Message'],
    description:
      'Full-text search (English stemming: "running" finds "run") over the messages of every chat you see, archived ' +
      'ones included; best match first, then newest.',
    args: {
      query: t.arg.string({
        required: true,
        description: 'Words to find, 1 to 200 characters; `"a phrase"`, `or` and `-word` work as in web search engines.',
      }),
      first: t.arg.int({ description: `How many messages, ${SEARCH_DEFAULT_SIZE} by default, at most ${SEARCH_MAX_SIZE}.` }),
    },
    resolve: (query, _root, args, { services, viewer }) => services.chatHistory.search(viewer, args, query),
  }),
  exportChat: t.withAuth({ scope: 'chats:read' }).field({
    type: ChatExportRef,
    description: 'A chat you see, with its messages, as a Markdown or JSON file.',
    args: {
      id: t.arg.id({ required: true, description: 'The chat.' }),
      format: t.arg({ type: ChatExportFormatEnum, required: true, description: 'The file format.' }),
    },
    resolve: (_root, { id, format }, { services, viewer }) => services.chatHistory.export(viewer, id, format),
  }),
}));

builder.mutationFields((t) => ({
  createChat: t.withAuth({ scope: 'chats:write' }).prismaField({
    type: 'Chat',
    description: 'Starts a chat with an agent. An inactive agent is refused (BAD_USER_INPUT on `agentId`).',
    args: { input: t.arg({ type: CreateChatInput, required: true, description: 'The input; each field is described on `CreateChatInput`.' }) },
    resolve: (query, _root, { input }, { services, viewer }) => services.chats.create(viewer, input, query),
  }),
  updateChat: t.withAuth({ scope: 'chats:write' }).prismaField({
    type: 'Chat',
    description: 'Renames, archives, shares or re-tags a chat. Only its owner may; others who see it get FORBIDDEN.',
    args: {
      id: t.arg.id({ required: true, description: 'The chat.' }),
      input: t.arg({ type: UpdateChatInput, required: true, description: 'The input; each field is described on `UpdateChatInput`.' }),
    },
    resolve: (query, _root, { id, input }, { services, viewer }) => services.chats.update(viewer, id, input, query),
  }),
  markChatRead: t.withAuth({ scope: 'chats:read' }).prismaField({
    type: 'Chat',
    description:
      'Marks a chat you see read, for you alone, up to `messageId` or its latest message. A mark only moves forward: an older ' +
      'message changes nothing. NOT_FOUND for a chat you do not see; BAD_USER_INPUT (`messageId`) for a message of another chat.',
    args: {
      chatId: t.arg.id({ required: true, description: 'The chat.' }),
      messageId: t.arg.id({ description: 'The last message read; omit for the latest.' }),
    },
    resolve: (query, _root, { chatId, messageId }, { services, viewer }) => services.chatReads.markRead(viewer, String(chatId), messageId ? String(messageId) : null, query),
  }),
  deleteChat: t.withAuth({ scope: 'chats:write' }).id({
    description: 'Deletes a chat and all its messages, returning its id. Only its owner may.',
    args: { id: t.arg.id({ required: true, description: 'The chat.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.chats.delete(viewer, id),
  }),
}));
