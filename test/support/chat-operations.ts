import { graphql } from '../generated/gql.ts';

export const ChatFields = graphql(`
  fragment ChatFields on Chat {
    id title metadata archived sharedWithTeam agentId owner { id } lastMessageAt createdAt updatedAt
  }
`);

export const Chats = graphql(`
  query Chats($includeArchived: Boolean, $first: Int, $after: String) {
    chats(includeArchived: $includeArchived, first: $first, after: $after) {
      edges { cursor node { ...ChatFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ChatById = graphql(`
  query ChatById($id: ID!) {
    chat(id: $id) { ...ChatFields }
  }
`);

export const ChatMessages = graphql(`
  query ChatMessages($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    chat(id: $id) {
      id
      messages(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id chatId role content status createdAt } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
`);

export const CreateChat = graphql(`
  mutation CreateChat($input: CreateChatInput!) {
    createChat(input: $input) { ...ChatFields }
  }
`);

export const UpdateChat = graphql(`
  mutation UpdateChat($id: ID!, $input: UpdateChatInput!) {
    updateChat(id: $id, input: $input) { ...ChatFields }
  }
`);

export const DeleteChat = graphql(`
  mutation DeleteChat($id: ID!) {
    deleteChat(id: $id)
  }
`);

export const SearchMessages = graphql(`
  query SearchMessages($query: String!, $first: Int) {
    searchMessages(query: $query, first: $first) { id chatId role content status }
  }
`);

export const ExportChat = graphql(`
  query ExportChat($id: ID!, $format: ChatExportFormat!) {
    exportChat(id: $id, format: $format) { filename mimeType content }
  }
`);

export const ChatReadState = graphql(`
  query ChatReadState($id: ID!) {
    chat(id: $id) { id unreadCount lastReadMessageId }
  }
`);

export const ChatsUnread = graphql(`
  query ChatsUnread {
    chats(first: 50) { edges { node { id unreadCount } } }
  }
`);

export const MarkChatRead = graphql(`
  mutation MarkChatRead($chatId: ID!, $messageId: ID) {
    markChatRead(chatId: $chatId, messageId: $messageId) { id unreadCount lastReadMessageId }
  }
`);

export const UploadChatAttachment = graphql(`
  mutation UploadChatAttachment($chatId: ID!, $file: File!) {
    uploadChatAttachment(chatId: $chatId, file: $file) { id name mimeType size url }
  }
`);

export const SendWithAttachments = graphql(`
  mutation SendWithAttachments($input: SendMessageInput!) {
    sendMessage(input: $input) { userMessage { id attachments { id name mimeType size url } } assistantMessage { id } }
  }
`);

export const MessageAttachments = graphql(`
  query MessageAttachments($id: ID!) {
    chat(id: $id) { messages(last: 10) { edges { node { id role attachments { id name url } } } } }
  }
`);
