import { graphql } from '../generated/gql.ts';

export const ChannelConversations = graphql(`
  query ChannelConversations($sessionId: ID, $status: ConversationStatus, $first: Int, $after: String) {
    conversations(sessionId: $sessionId, status: $status, first: $first, after: $after) {
      edges {
        cursor
        node { id sessionId status lastMessageAt closedAt contact { id externalId name phone } }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ChannelConversation = graphql(`
  query ChannelConversation($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    conversation(id: $id) {
      id
      sessionId
      status
      createdAt
      firstResponseAt
      closedAt
      contact { id sessionId externalId name phone }
      messages(first: $first, after: $after, last: $last, before: $before) {
        edges {
          cursor
          node { id sessionId conversationId direction providerMessageId text status occurredAt }
        }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
`);

export const CloseChannelConversation = graphql(`
  mutation CloseChannelConversation($id: ID!) {
    closeConversation(id: $id) { id status closedAt }
  }
`);

export const OnChannelMessageReceived = graphql(`
  subscription OnChannelMessageReceived($sessionId: ID) {
    channelMessageReceived(sessionId: $sessionId) { id sessionId conversationId direction providerMessageId text status }
  }
`);
