import type { Message } from '../../generated/prisma/client.ts';
import { builder } from '../../schema/builder.ts';
import { MAX_ATTACHMENT_BYTES } from '../../uploads/attachment-file.ts';
import { resumableFrom } from '../../schema/live-only.ts';
import { MAX_ATTACHMENTS_PER_MESSAGE } from './attachments.ts';
import { fromMessageJson } from './message-json.ts';
import { ChatAttachmentRef, MessageRef, MessageStatusEnum } from './message-type.ts';
import type { ChatEvent } from './conversation-service.ts';
import type { StreamEventMessage, TypingMessage } from './streaming/stream-event.ts';

const MessageStreamEventTypeEnum = builder.enumType('MessageStreamEventType', {
  description: 'What a `messageStream` event says.',
  values: {
    STATUS: { description: "The reply's status changed (the first event: STREAMING, the agent is being asked)." },
    TOKEN: { description: 'A piece of the reply: append `delta` to what you have.' },
    DONE: { description: 'The last event: the reply ended COMPLETED or CANCELLED; `message` is final.' },
    ERROR: { description: 'The last event: the reply FAILED; `error` says why, `message` is final.' },
  } as const,
});

const MessageStreamEventRef = builder.objectRef<StreamEventMessage>('MessageStreamEvent').implement({
  description: 'One event of an assistant reply as it streams.',
  fields: (t) => ({
    messageId: t.exposeID('messageId', { description: 'The reply this event belongs to.' }),
    seq: t.exposeInt('seq', {
      description: 'Position in the stream, from 1, rising by one. Resume after a reconnect with `afterSeq` set to the last one you saw.',
    }),
    type: t.expose('type', { type: MessageStreamEventTypeEnum, description: 'What the event says.' }),
    status: t.expose('status', { type: MessageStatusEnum, description: "The reply's status after this event." }),
    delta: t.string({ nullable: true, description: 'For TOKEN: the text to append.', resolve: (event) => event.delta ?? null }),
    error: t.string({ nullable: true, description: 'For ERROR: why the reply failed.', resolve: (event) => event.error ?? null }),
    message: t.field({
      type: MessageRef,
      nullable: true,
      description: 'For DONE and ERROR: the reply as stored, with its final content.',
      resolve: (event, _args, { viewer }) => (event.message ? fromMessageJson(event.message, viewer!.tenantId) : null),
    }),
  }),
});

const ChatEventTypeEnum = builder.enumType('ChatEventType', {
  description: 'What happened in a chat.',
  values: {
    MESSAGE_CREATED: { description: 'A message was added (a user message, or a reply that starts STREAMING).' },
    MESSAGE_UPDATED: { description: 'A reply reached its final status (COMPLETED, FAILED or CANCELLED).' },
    TYPING: { description: 'Someone started or stopped typing.' },
  } as const,
});

const TypingIndicatorRef = builder.objectRef<TypingMessage>('TypingIndicator').implement({
  description: 'Someone typing in a chat. Indicators expire: show one until `expiresAt` unless renewed.',
  fields: (t) => ({
    userId: t.exposeID('userId', { description: 'Who is typing.' }),
    isTyping: t.exposeBoolean('isTyping', { description: 'False when they stopped.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When to stop showing it.', resolve: (typing) => typing.expiresAt }),
  }),
});

const ChatEventRef = builder.objectRef<ChatEvent>('ChatEvent').implement({
  description: 'Something that happened in a chat.',
  fields: (t) => ({
    type: t.expose('type', { type: ChatEventTypeEnum, description: 'What happened.' }),
    chatId: t.exposeID('chatId', { description: 'The chat it happened in.' }),
    message: t.field({
      type: MessageRef,
      nullable: true,
      description: 'For MESSAGE_CREATED and MESSAGE_UPDATED: the message.',
      resolve: (event) => event.message,
    }),
    typing: t.field({
      type: TypingIndicatorRef,
      nullable: true,
      description: 'For TYPING: who, and whether they still type.',
      resolve: (event) => event.typing,
    }),
  }),
});

const SendMessageInput = builder.inputType('SendMessageInput', {
  description: 'A message to send to a chat.',
  fields: (t) => ({
    chatId: t.id({ required: true, description: 'The chat; you must see it (yours, or shared with the team).' }),
    content: t.string({ required: true, description: 'What to say, 1 to 32000 characters, not only whitespace.' }),
    metadata: t.field({ type: 'JSON', description: 'Free-form JSON object kept with the message, up to 16 KB.' }),
    attachmentIds: t.idList({
      description: `Files you uploaded to this chat with \`uploadChatAttachment\` and have not sent yet, at most ${MAX_ATTACHMENTS_PER_MESSAGE}; the agent is sent their URLs.`,
    }),
  }),
});

const SendMessagePayloadRef = builder
  .objectRef<{ userMessage: Message; assistantMessage: Message }>('SendMessagePayload')
  .implement({
    description: 'The two messages `sendMessage` created.',
    fields: (t) => ({
      userMessage: t.field({ type: MessageRef, description: 'Your message, COMPLETED.', resolve: (payload) => payload.userMessage }),
      assistantMessage: t.field({
        type: MessageRef,
        description: "The agent's reply, STREAMING and empty: follow it with `messageStream(messageId: assistantMessage.id)`.",
        resolve: (payload) => payload.assistantMessage,
      }),
    }),
  });

builder.mutationFields((t) => ({
  uploadChatAttachment: t.withAuth({ scope: 'chats:write' }).field({
    type: ChatAttachmentRef,
    description:
      `Uploads a file for your next message in a chat you see, as a GraphQL multipart request: a PNG, JPEG, GIF or WebP image, ` +
      `or a PDF (judged by its content), of at most ${MAX_ATTACHMENT_BYTES} bytes. Send it with \`sendMessage\`'s \`attachmentIds\`.`,
    args: {
      chatId: t.arg.id({ required: true, description: 'The chat; NOT_FOUND unless you see it.' }),
      file: t.arg({ type: 'File', required: true, description: 'The file.' }),
    },
    resolve: (_root, { chatId, file }, { services, viewer }) => services.chatAttachments.upload(viewer, String(chatId), file),
  }),
  sendMessage: t.withAuth({ scope: 'chats:write' }).field({
    type: SendMessagePayloadRef,
    description:
      "Stores your message and an empty STREAMING reply and answers with both at once; the chat's agent is then " +
      'asked, and its answer streams to `messageStream` subscribers token by token. The reply goes on if you disconnect. ' +
      "CONFLICT when the chat's agent was deleted or is inactive.",
    args: { input: t.arg({ type: SendMessageInput, required: true, description: 'The input; each field is described on `SendMessageInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.conversations.send(viewer, input),
  }),
  cancelMessage: t.withAuth({ scope: 'chats:write' }).field({
    type: MessageRef,
    description:
      'Stops a STREAMING reply: the agent call is aborted and the reply ends CANCELLED with what arrived so far. ' +
      'A reply that already finished is answered unchanged.',
    args: { messageId: t.arg.id({ required: true, description: 'The assistant reply to stop.' }) },
    resolve: (_root, { messageId }, { services, viewer }) => services.conversations.cancel(viewer, messageId),
  }),
  setTyping: t.withAuth({ scope: 'chats:write' }).field({
    type: TypingIndicatorRef,
    description: 'Tells `chatEvents` subscribers that you are typing (or stopped). Send again every few seconds while typing.',
    args: {
      chatId: t.arg.id({ required: true, description: 'The chat you type in.' }),
      isTyping: t.arg.boolean({ defaultValue: true, description: 'False when you stopped.' }),
    },
    resolve: (_root, { chatId, isTyping }, { services, viewer }) =>
      services.conversations.setTyping(viewer, chatId, isTyping ?? true),
  }),
}));

builder.subscriptionFields((t) => ({
  messageStream: t.withAuth({ scope: 'chats:read' }).field({
    type: MessageStreamEventRef,
    description:
      'An assistant reply as it streams: what was already streamed after `afterSeq` is replayed first, then events ' +
      'follow live, with no gap and no duplicate, whichever instance talks to the agent. Ends after DONE or ERROR; ' +
      'a finished reply replays to its last event and ends.',
    args: {
      messageId: t.arg.id({ required: true, description: 'The assistant reply (`sendMessage` → `assistantMessage.id`).' }),
      afterSeq: t.arg.int({ description: 'The last `seq` you saw; omit (or 0) to get the stream from its start.' }),
    },
    extensions: resumableFrom('afterSeq', 'seq'),
    subscribe: (_root, { messageId, afterSeq }, { services, viewer }) =>
      services.conversations.followMessage(viewer, messageId, afterSeq),
    resolve: (event) => event,
  }),
  chatEvents: t.withAuth({ scope: 'chats:read' }).field({
    type: ChatEventRef,
    description: 'New messages, replies reaching their final status, and typing indicators of one chat, live.',
    args: { chatId: t.arg.id({ required: true, description: 'The chat to follow.' }) },
    subscribe: (_root, { chatId }, { services, viewer }) => services.conversations.followChat(viewer, chatId),
    resolve: (event) => event,
  }),
}));
