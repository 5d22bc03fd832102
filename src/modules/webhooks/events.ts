import type { Catalogue } from '../../events/catalogue.ts';
import type { DeliveryMessage } from './delivery-messages.ts';

export type WebhookEvents = {
  'endpoint.disabled': { endpointId: string; url: string; reason: string };
  'webhook.test': { endpointId: string; message: string };
  'webhook.deliveries_updated': { deliveries: DeliveryMessage[] };
};

export const webhookEvents = {
  'endpoint.disabled': { webhook: true, description: 'A webhook endpoint was disabled after failing too long.' },
  'webhook.test': { webhook: true, description: 'A test event sent with `sendTestWebhook`.' },
  'webhook.deliveries_updated': { webhook: false, description: 'Webhook deliveries were attempted or finished, in the order they were recorded.' },
} as const satisfies Catalogue<WebhookEvents>;
