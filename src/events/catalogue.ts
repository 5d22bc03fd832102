/**
 * Every domain event type. Those marked `webhook` can be subscribed to by webhook endpoints
 * (`webhookEventTypes` lists them); the others only feed GraphQL subscriptions.
 */
export const eventCatalogue = {
  'message.received': { webhook: true, description: 'A channel session received a message.' },
  'message.sent': { webhook: true, description: 'A message was sent through a channel session.' },
  'conversation.created': { webhook: true, description: 'A channel conversation started.' },
  'conversation.closed': { webhook: true, description: 'A channel conversation was closed.' },
  'agent.created': { webhook: true, description: 'An agent was created.' },
  'agent.updated': { webhook: true, description: 'An agent was changed.' },
  'agent.deleted': { webhook: true, description: 'An agent was deleted.' },
  'chat.message.completed': { webhook: true, description: 'An assistant reply finished streaming.' },
  'chat.message.failed': { webhook: true, description: 'An assistant reply failed; `error` says why.' },
  'session.status_changed': { webhook: true, description: "A channel session's status changed." },
  'lead.created': { webhook: true, description: 'A lead was created.' },
  'lead.updated': { webhook: true, description: 'A lead was changed.' },
  'interaction.created': { webhook: true, description: 'An interaction was registered.' },
  'endpoint.disabled': { webhook: true, description: 'A webhook endpoint was disabled after failing too long.' },
  'webhook.test': { webhook: true, description: 'A test event sent with `sendTestWebhook`.' },
  'webhook.delivery_updated': { webhook: false, description: 'A webhook delivery was attempted or finished.' },
  'chat.message_created': { webhook: false, description: 'A message was added to a chat.' },
  'chat.message_updated': { webhook: false, description: 'A chat message reached its final status.' },
  'audit.event_created': { webhook: false, description: 'An audit event was recorded.' },
  'lead.deleted': { webhook: false, description: 'A lead was deleted.' },
} as const satisfies Record<string, { webhook: boolean; description: string }>;

export type EventType = keyof typeof eventCatalogue;

export const webhookEventTypes = (Object.keys(eventCatalogue) as EventType[]).filter(
  (type) => eventCatalogue[type].webhook,
);

export function isWebhookEventType(value: string): value is EventType {
  return webhookEventTypes.includes(value as EventType);
}
