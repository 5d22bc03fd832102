import { graphql } from '../generated/gql.ts';

export const AgentFields = graphql(`
  fragment AgentFields on Agent {
    id name description webhookUrl hasWebhookToken systemPrompt config isActive avatarUrl createdAt updatedAt
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
