/** Steps the webhook delivery tests share: endpoints, events that cause deliveries, and reading the delivery log. */
import type { GraphQLClient } from './client.ts';
import { WebhookDeliveries, WebhookDeliveryById } from './delivery-operations.ts';
import { eventually } from './fixtures.ts';
import { CreateWebhookEndpoint, RegisterInteraction } from './operations.ts';
import type { ReceivedRequest } from './receiver.ts';

/** Retries come after a second, so a test sees several attempts within a few seconds. */
export const FAST_RETRIES = { WEBHOOK_RETRY_SCHEDULE: '1,1,1', WEBHOOK_TIMEOUT_MS: '2000' };

export async function createEndpoint(client: GraphQLClient, token: string, url: string, events = ['interaction.created']) {
  const { createWebhookEndpoint } = await client.data(CreateWebhookEndpoint, { input: { url, events } }, { token });
  return { id: createWebhookEndpoint.endpoint.id, secret: createWebhookEndpoint.secret };
}

/** Causes an `interaction.created` event through the public API. */
export async function emitInteraction(client: GraphQLClient, token: string, text = 'hello') {
  await client.data(RegisterInteraction, { input: { text } }, { token });
}

export async function deliveriesOf(client: GraphQLClient, token: string, endpointId: string) {
  const { webhookDeliveries } = await client.data(WebhookDeliveries, { endpointId, first: 100 }, { token });
  return webhookDeliveries.edges.map((edge) => edge.node);
}

/** The endpoint's only delivery, once the dispatcher has scheduled it. */
export function onlyDeliveryOf(client: GraphQLClient, token: string, endpointId: string) {
  return eventually(async () => (await deliveriesOf(client, token, endpointId))[0], 5000, `a delivery to ${endpointId}`);
}

/** Waits until the delivery log shows `check` true of a delivery, and answers it. */
export function deliveryWhen(
  client: GraphQLClient,
  token: string,
  id: string,
  check: (delivery: Delivery) => boolean,
  timeoutMs = 10_000,
) {
  return eventually(
    async () => {
      const { webhookDelivery } = await client.data(WebhookDeliveryById, { id }, { token });
      return check(webhookDelivery) ? webhookDelivery : undefined;
    },
    timeoutMs,
    `delivery ${id} to reach the expected state`,
  );
}

export type Delivery = Awaited<ReturnType<typeof deliveriesOf>>[number];

export const webhookIdOf = (request: ReceivedRequest) => String(request.headers['webhook-id']);
export const attemptOf = (request: ReceivedRequest) => Number(request.headers['x-webhook-attempt']);
export const bodyOf = (request: ReceivedRequest) => JSON.parse(request.body) as { type: string; timestamp: string; tenantId: string; data: Record<string, unknown> };
