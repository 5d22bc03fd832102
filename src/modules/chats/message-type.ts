import { builder } from '../../schema/builder.ts';

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
  }),
});
