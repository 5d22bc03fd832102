import { builder } from '../../schema/builder.ts';
import { attachmentPath } from './attachments.ts';

export const MessageRoleEnum = builder.enumType('MessageRole', {
  description: 'Who wrote a message.',
  values: {
    USER: { description: 'A person, through `sendMessage`.' },
    ASSISTANT: { description: "The chat's agent." },
    SYSTEM: { description: 'The system, e.g. a notice added to the conversation.' },
  } as const,
});

export const MessageStatusEnum = builder.enumType('MessageStatus', {
  description: 'Where a message is in its life; only assistant replies ever stream.',
  values: {
    STREAMING: { description: 'The agent is still answering; follow `messageStream`.' },
    COMPLETED: { description: 'Final: the content is complete.' },
    FAILED: { description: 'Final: the agent could not answer; `error` says why, `content` holds what arrived.' },
    CANCELLED: { description: 'Final: stopped with `cancelMessage`; `content` holds what arrived before.' },
  } as const,
});

export const ChatAttachmentRef = builder.prismaObject('ChatAttachment', {
  description: 'A file on a chat message: a PNG, JPEG, GIF or WebP image, or a PDF, judged by its content.',
  select: { id: true, sha256: true },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; `sendMessage` takes it in `attachmentIds`.' }),
    name: t.string({ description: 'The file name it was uploaded with.', select: { name: true }, resolve: (file) => file.name }),
    mimeType: t.string({ description: 'Its type, from its content.', select: { mimeType: true }, resolve: (file) => file.mimeType }),
    size: t.int({ description: 'In bytes, at most 10 MB.', select: { size: true }, resolve: (file) => file.size }),
    url: t.string({
      description: 'Path of the file on this server (/attachments/<id>/<sha256>), loadable without credentials; the agent is sent it as an absolute URL.',
      resolve: (file) => attachmentPath(file),
    }),
  }),
});

export const TokenUsageRef = builder.objectRef<{ promptTokens: number; completionTokens: number }>('TokenUsage').implement({
  description: 'Tokens a model reported for one call, as its provider counts them.',
  fields: (t) => ({
    promptTokens: t.exposeInt('promptTokens', { description: 'Tokens of the request: the system prompt and the history sent.' }),
    completionTokens: t.exposeInt('completionTokens', { description: 'Tokens of the reply.' }),
  }),
});

export const MessageRef = builder.prismaObject('Message', {
  description: 'One message of a chat.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    chatId: t.exposeID('chatId', { description: 'The chat it belongs to.' }),
    role: t.expose('role', { type: MessageRoleEnum, description: 'Who wrote it.' }),
    content: t.exposeString('content', {
      description: 'The text. For a reply still STREAMING it is empty until the end: follow `messageStream` for the tokens.',
    }),
    status: t.expose('status', { type: MessageStatusEnum, description: 'Where the message is in its life.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why a FAILED reply failed.' }),
    metadata: t.expose('metadata', { type: 'JSON', description: 'Free-form data kept with the message.' }),
    lastSeq: t.exposeInt('lastSeq', {
      description: 'The `seq` of the last `messageStream` event of a finished reply (0 while streaming or for other messages).',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was written.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it last changed.' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true, description: 'When a reply reached its final status.' }),
    usage: t.field({
      type: TokenUsageRef,
      nullable: true,
      description: 'For a reply of an OPENAI_COMPATIBLE agent, the tokens its model reported; null otherwise, and while streaming.',
      select: { promptTokens: true, completionTokens: true },
      resolve: ({ promptTokens, completionTokens }) =>
        promptTokens === null || completionTokens === null ? null : { promptTokens, completionTokens },
    }),
    attachments: t.relation('attachments', { description: 'The files sent with it, in upload order.', query: { orderBy: { id: 'asc' } } }),
  }),
});
