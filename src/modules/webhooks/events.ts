import type { Catalogue } from '../../events/catalogue.ts';
import type { DeliveryMessage } from './delivery-messages.ts';

export type WebhookEvents = {
  'endpoint.disabled': { endpointId: string; url: string; reason: string };
  'webhook.test': { endpointId: string; message: string };
  'webhook.delivery_updated': DeliveryMessage;
};

export const webhookEvents = {
  'endpoint.disabled': { webhook: true, description: 'A webhook endpoint was disabled after failing too long.' },
  'webhook.test': { webhook: true, description: 'A test event sent with `sendTestWebhook`.' },
  'webhook.delivery_updated': { webhook: false, description: 'A webhook delivery was attempted or finished.' },
} as const satisfies Catalogue<WebhookEvents>;
