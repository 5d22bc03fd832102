import { graphql } from '../generated/gql.ts';

export const AgentFields = graphql(`
  fragment AgentFields on Agent {
    id name description kind webhookUrl hasWebhookToken baseUrl model hasApiKey systemPrompt config isActive avatarUrl createdAt updatedAt
  }
`);

export const Agents = graphql(`
  query Agents($includeInactive: Boolean) {
    agents(includeInactive: $includeInactive) { ...AgentFields }
  }
`);

export const AgentById = graphql(`
  query AgentById($id: ID!) {
    agent(id: $id) { ...AgentFields }
  }
`);

export const CreateAgent = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) { ...AgentFields }
  }
`);

export const UpdateAgent = graphql(`
  mutation UpdateAgent($id: ID!, $input: UpdateAgentInput!) {
    updateAgent(id: $id, input: $input) { ...AgentFields }
  }
`);

export const DeleteAgent = graphql(`
  mutation DeleteAgent($id: ID!) {
    deleteAgent(id: $id)
  }
`);

export const UploadAgentAvatar = graphql(`
  mutation UploadAgentAvatar($id: ID!, $file: File!) {
    uploadAgentAvatar(id: $id, file: $file) { ...AgentFields }
  }
`);

export const RemoveAgentAvatar = graphql(`
  mutation RemoveAgentAvatar($id: ID!) {
    removeAgentAvatar(id: $id) { ...AgentFields }
  }
`);

export const ModelAgentFields = graphql(`
  fragment ModelAgentFields on Agent {
    id kind webhookUrl hasWebhookToken baseUrl model hasApiKey config
  }
`);

export const CreateModelAgent = graphql(`
  mutation CreateModelAgent($input: CreateAgentInput!) {
    createAgent(input: $input) { ...ModelAgentFields }
  }
`);

export const UpdateModelAgent = graphql(`
  mutation UpdateModelAgent($id: ID!, $input: UpdateAgentInput!) {
    updateAgent(id: $id, input: $input) { ...ModelAgentFields }
  }
`);

export const ReplyUsage = graphql(`
  query ReplyUsage($chatId: ID!) {
    chat(id: $chatId) {
      messages(last: 10) { edges { node { id status content error usage { promptTokens completionTokens } } } }
    }
  }
`);

export const AgentUsageByDay = graphql(`
  query AgentUsageByDay($from: DateTime, $to: DateTime) {
    analyticsAgentUsage(from: $from, to: $to) { day agentId agentName calls promptTokens completionTokens }
  }
`);
