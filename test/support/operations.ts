import { graphql } from '../generated/gql.ts';

export const SignUp = graphql(`
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) {
      accessToken
      refreshToken
      accessTokenExpiresAt
      user { id email fullName role tenant { id name slug } }
    }
  }
`);

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      accessToken
      refreshToken
      user { id email role tenant { id slug } }
    }
  }
`);

export const Refresh = graphql(`
  mutation Refresh($refreshToken: String) {
    refresh(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      user { id }
    }
  }
`);

export const Logout = graphql(`
  mutation Logout($refreshToken: String) {
    logout(refreshToken: $refreshToken)
  }
`);

export const Me = graphql(`
  query Me {
    me { id email fullName role isActive tenant { id name slug } }
  }
`);

export const CurrentTenant = graphql(`
  query CurrentTenant {
    tenant { id name slug }
  }
`);

export const Users = graphql(`
  query Users {
    users { id email role isActive }
  }
`);

export const CreateUser = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) { id email fullName role tenant { id } }
  }
`);

export const ApiKeys = graphql(`
  query ApiKeys {
    apiKeys { id name lastFour scopes isActive lastUsedAt expiresAt createdAt createdBy { id } }
  }
`);

export const ApiKeyScopes = graphql(`
  query ApiKeyScopes {
    apiKeyScopes { name description adminOnly }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      key
      apiKey { id name lastFour scopes isActive lastUsedAt expiresAt }
    }
  }
`);

export const UpdateApiKey = graphql(`
  mutation UpdateApiKey($id: ID!, $input: UpdateApiKeyInput!) {
    updateApiKey(id: $id, input: $input) { id name scopes expiresAt }
  }
`);

export const DeactivateApiKey = graphql(`
  mutation DeactivateApiKey($id: ID!) {
    deactivateApiKey(id: $id) { id isActive }
  }
`);

export const ReactivateApiKey = graphql(`
  mutation ReactivateApiKey($id: ID!) {
    reactivateApiKey(id: $id) { id isActive scopes }
  }
`);

export const ApiKeyById = graphql(`
  query ApiKeyById($id: ID!) {
    apiKey(id: $id) { id name lastFour scopes isActive createdBy { id } }
  }
`);

export const DeleteApiKey = graphql(`
  mutation DeleteApiKey($id: ID!) {
    deleteApiKey(id: $id)
  }
`);

export const AuditEvents = graphql(`
  query AuditEvents($first: Int, $after: String) {
    auditEvents(first: $first, after: $after) {
      edges { cursor node { id type actor { type id } ip data createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const OnAuditEvent = graphql(`
  subscription OnAuditEvent {
    auditEventCreated { id type actor { type id } data createdAt }
  }
`);

export const WebhookEndpointFields = graphql(`
  fragment WebhookEndpointFields on WebhookEndpoint {
    id url description events sessionId isActive disabledReason failingSince previousSecretExpiresAt createdAt updatedAt
  }
`);

export const WebhookEndpoints = graphql(`
  query WebhookEndpoints {
    webhookEndpoints { ...WebhookEndpointFields }
  }
`);

export const WebhookEndpointById = graphql(`
  query WebhookEndpointById($id: ID!) {
    webhookEndpoint(id: $id) { ...WebhookEndpointFields }
  }
`);

export const WebhookEventTypes = graphql(`
  query WebhookEventTypes {
    webhookEventTypes
    webhookEventCatalogue { name description schema }
  }
`);

export const CreateWebhookEndpoint = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { ...WebhookEndpointFields } }
  }
`);

export const UpdateWebhookEndpoint = graphql(`
  mutation UpdateWebhookEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) { ...WebhookEndpointFields }
  }
`);

export const DeleteWebhookEndpoint = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id)
  }
`);

export const RotateWebhookSecret = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(id: $id) { secret endpoint { ...WebhookEndpointFields } }
  }
`);

export const Interactions = graphql(`
  query Interactions($first: Int, $after: String) {
    interactions(first: $first, after: $after) {
      edges { cursor node { id text speakerId conversationId occurredAt createdAt } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const RegisterInteraction = graphql(`
  mutation RegisterInteraction($input: RegisterInteractionInput!) {
    registerInteraction(input: $input) { id text speakerId conversationId occurredAt createdAt }
  }
`);

export const OnInteractionCreated = graphql(`
  subscription OnInteractionCreated {
    interactionCreated { id text speakerId conversationId occurredAt createdAt }
  }
`);

export const ServiceClients = graphql(`
  query ServiceClients {
    serviceClients { id clientId webhookUrl createdAt }
  }
`);

export const RegisterServiceClient = graphql(`
  mutation RegisterServiceClient($input: RegisterServiceClientInput!) {
    registerServiceClient(input: $input) { signingSecret serviceClient { id clientId webhookUrl createdAt } }
  }
`);

export const DeregisterServiceClient = graphql(`
  mutation DeregisterServiceClient($clientId: String!) {
    deregisterServiceClient(clientId: $clientId)
  }
`);

export const ServiceStatusQuery = graphql(`
  query ServiceStatus {
    serviceStatus { enabled updatedAt }
  }
`);

export const EnableService = graphql(`
  mutation EnableService {
    enableService { enabled updatedAt }
  }
`);

export const DisableService = graphql(`
  mutation DisableService {
    disableService { enabled updatedAt }
  }
`);

export const VerifyEmail = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) { id email emailVerifiedAt }
  }
`);
