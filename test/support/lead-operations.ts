import { graphql } from '../generated/gql.ts';

export const LeadFields = graphql(`
  fragment LeadFields on Lead {
    id name email phone notes source intent intentSource signals { signal weight evidence } score
    conversationId contactId hotNotifiedAt createdAt updatedAt
  }
`);

export const Leads = graphql(`
  query Leads($filter: LeadFilter, $first: Int, $after: String) {
    leads(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...LeadFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const LeadById = graphql(`
  query LeadById($id: ID!) {
    lead(id: $id) { ...LeadFields }
  }
`);

export const LeadClassifierRules = graphql(`
  query LeadClassifierRules {
    leadClassifier { hotThreshold warmThreshold rules { signal weight description } }
  }
`);

export const CreateLead = graphql(`
  mutation CreateLead($input: CreateLeadInput!) {
    createLead(input: $input) { ...LeadFields }
  }
`);

export const UpdateLead = graphql(`
  mutation UpdateLead($id: ID!, $input: UpdateLeadInput!) {
    updateLead(id: $id, input: $input) { ...LeadFields }
  }
`);

export const DeleteLead = graphql(`
  mutation DeleteLead($id: ID!) {
    deleteLead(id: $id)
  }
`);

export const OnLeadChanged = graphql(`
  subscription OnLeadChanged {
    leadChanged { type leadId lead { ...LeadFields } }
  }
`);

export const TenantSettings = graphql(`
  query TenantSettings {
    tenant { id name slug notificationEmails }
  }
`);

export const UpdateTenant = graphql(`
  mutation UpdateTenant($input: UpdateTenantInput!) {
    updateTenant(input: $input) { id name slug notificationEmails }
  }
`);

export const SetLeadIntentAgent = graphql(`
  mutation SetLeadIntentAgent($agentId: ID) {
    setLeadIntentAgent(agentId: $agentId) { id leadIntentAgentId }
  }
`);
