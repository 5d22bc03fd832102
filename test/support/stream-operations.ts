import { graphql } from '../generated/gql.ts';

export const SendMessage = graphql(`
  mutation SendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      userMessage { id chatId role content status }
      assistantMessage { id chatId role content status lastSeq }
    }
  }
`);

export const CancelMessage = graphql(`
  mutation CancelMessage($messageId: ID!) {
    cancelMessage(messageId: $messageId) { id status content error lastSeq completedAt }
  }
`);

export const SetTyping = graphql(`
  mutation SetTyping($chatId: ID!, $isTyping: Boolean) {
    setTyping(chatId: $chatId, isTyping: $isTyping) { userId isTyping expiresAt }
  }
`);

export const ReplyMessage = graphql(`
  query ReplyMessage($chatId: ID!) {
    chat(id: $chatId) {
      messages(last: 10) { edges { node { id role content status error lastSeq } } }
    }
  }
`);

export const OnMessageStream = graphql(`
  subscription OnMessageStream($messageId: ID!, $afterSeq: Int) {
    messageStream(messageId: $messageId, afterSeq: $afterSeq) {
      messageId seq type status delta error
      message { id content status error lastSeq }
    }
  }
`);

export const OnChatEvents = graphql(`
  subscription OnChatEvents($chatId: ID!) {
    chatEvents(chatId: $chatId) {
      type chatId
      message { id role status content }
      typing { userId isTyping expiresAt }
    }
  }
`);
