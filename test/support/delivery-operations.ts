import { graphql } from '../generated/gql.ts';

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id eventId eventType status attemptCount nextAttemptAt lastAttemptAt createdAt payload
    endpoint { id isActive }
    attempts { attemptNumber at statusCode durationMs responseBody error requestHeaders { name value } }
  }
`);

export const WebhookDeliveries = graphql(`
  query WebhookDeliveries($endpointId: ID, $status: DeliveryStatus, $eventType: String, $first: Int, $after: String) {
    webhookDeliveries(endpointId: $endpointId, status: $status, eventType: $eventType, first: $first, after: $after) {
      edges { cursor node { ...WebhookDeliveryFields } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const WebhookDeliveryById = graphql(`
  query WebhookDeliveryById($id: ID!) {
    webhookDelivery(id: $id) { ...WebhookDeliveryFields }
  }
`);

export const RetryWebhookDelivery = graphql(`
  mutation RetryWebhookDelivery($deliveryId: ID!) {
    retryWebhookDelivery(deliveryId: $deliveryId) { ...WebhookDeliveryFields }
  }
`);

export const ReplayWebhookDeliveries = graphql(`
  mutation ReplayWebhookDeliveries($endpointId: ID!, $since: DateTime!) {
    replayWebhookDeliveries(endpointId: $endpointId, since: $since)
  }
`);

export const SendTestWebhook = graphql(`
  mutation SendTestWebhook($endpointId: ID!) {
    sendTestWebhook(endpointId: $endpointId) { ...WebhookDeliveryFields }
  }
`);

export const OnWebhookDeliveryUpdated = graphql(`
  subscription OnWebhookDeliveryUpdated($endpointId: ID) {
    webhookDeliveryUpdated(endpointId: $endpointId) { ...WebhookDeliveryFields }
  }
`);
