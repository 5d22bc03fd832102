import { graphql } from '../generated/gql.ts';

export const SessionFields = graphql(`
  fragment SessionFields on Session {
    id name channel status statusChangedAt qrCode phoneNumberId phoneNumber hasAccessToken hasAppSecret hasVerifyToken
    publishableKey allowedOrigins autoReply { mode text agentId } webhookUrl createdAt updatedAt
  }
`);

export const Sessions = graphql(`
  query Sessions {
    sessions { ...SessionFields }
  }
`);

export const SessionById = graphql(`
  query SessionById($id: ID!) {
    session(id: $id) { ...SessionFields }
  }
`);

export const CreateSession = graphql(`
  mutation CreateSession($input: CreateSessionInput!) {
    createSession(input: $input) {
      session { ...SessionFields }
      apiKey
      webhook { secret endpoint { id url events sessionId } }
    }
  }
`);

export const UpdateSession = graphql(`
  mutation UpdateSession($id: ID!, $input: UpdateSessionInput!) {
    updateSession(id: $id, input: $input) { ...SessionFields }
  }
`);

export const DeleteSession = graphql(`
  mutation DeleteSession($id: ID!) {
    deleteSession(id: $id)
  }
`);

export const ConnectSession = graphql(`
  mutation ConnectSession($id: ID!) {
    connectSession(id: $id) { ...SessionFields }
  }
`);

export const DisconnectSession = graphql(`
  mutation DisconnectSession($id: ID!) {
    disconnectSession(id: $id) { ...SessionFields }
  }
`);

export const SendSessionMessage = graphql(`
  mutation SendSessionMessage($input: SendSessionMessageInput!) {
    sendSessionMessage(input: $input) {
      id sessionId conversationId direction providerMessageId text status error occurredAt createdAt
    }
  }
`);

export const SessionStatusChanged = graphql(`
  subscription SessionStatusChanged($sessionId: ID) {
    sessionStatusChanged(sessionId: $sessionId) { id status statusChangedAt }
  }
`);

export const SessionKeyApiKeys = graphql(`
  query SessionKeyApiKeys {
    apiKeys { id name scopes sessionId }
  }
`);
