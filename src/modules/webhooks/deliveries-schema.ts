import { builder } from '../../schema/builder.ts';

const HttpHeader = builder.objectRef<{ name: string; value: string }>('HttpHeader').implement({
  description: 'One header of an HTTP request.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Lower-cased.' }),
    value: t.exposeString('value', { description: 'As sent.' }),
  }),
});

const DeliveryStatusEnum = builder.enumType('DeliveryStatus', {
  description: 'Where a webhook delivery stands.',
  values: {
    PENDING: { description: 'Waiting for its first attempt or a retry.' },
    SENT: { description: 'The endpoint answered 2xx.' },
    FAILED: { description: 'Every scheduled attempt failed, the endpoint answered 410 Gone, or it was disabled.' },
  },
});

builder.prismaObject('WebhookAttempt', {
  description: 'One request of a delivery and what came back.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    attemptNumber: t.exposeInt('attemptNumber', { description: 'Which attempt this was, from 1, as sent in `X-Webhook-Attempt`.' }),
    at: t.expose('startedAt', { type: 'DateTime', description: 'When the request was sent.' }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'The HTTP status answered; null when no answer came.' }),
    durationMs: t.exposeInt('durationMs', { description: 'Milliseconds from sending to the end of the answer.' }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: 'The first 2 KB of the answer.' }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Why no answer came: `timeout`, `unreachable` or `blocked_address`, with details.',
    }),
    requestHeaders: t.field({
      type: [HttpHeader],
      description:
        'The headers the request was sent with, by name; each signature in `webhook-signature` is cut to its first 8 characters and `…`. ' +
        'Empty for attempts recorded before headers were kept.',
      select: { requestHeaders: true },
      resolve: (attempt) =>
        Object.entries((attempt.requestHeaders ?? {}) as Record<string, string>)
          .map(([name, value]) => ({ name, value }))
          .sort((a, b) => a.name.localeCompare(b.name)),
    }),
  }),
});

const WebhookDeliveryRef = builder.prismaObject('WebhookDelivery', {
  description: 'One event on its way to one endpoint, with every attempt made.',
  // Everything but the body, which updates leave out (see DeliveryMessage): loaded when asked for.
  select: {
    id: true,
    tenantId: true,
    endpointId: true,
    eventId: true,
    eventType: true,
    status: true,
    attemptCount: true,
    nextAttemptAt: true,
    lastAttemptAt: true,
    createdAt: true,
    updatedAt: true,
  },
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    eventId: t.exposeID('eventId', { description: 'The event, sent as `webhook-id`: the same on every attempt, so receivers can drop repeats.' }),
    eventType: t.exposeString('eventType', { description: 'The event type, as in the body\'s `type`.' }),
    status: t.expose('status', { type: DeliveryStatusEnum, description: 'Where the delivery stands.' }),
    attemptCount: t.exposeInt('attemptCount', { description: 'Attempts made so far.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true, description: 'When the next attempt is due, while PENDING.' }),
    lastAttemptAt: t.expose('lastAttemptAt', { type: 'DateTime', nullable: true, description: 'When the last attempt was made.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the event was scheduled for this endpoint.' }),
    payload: t.field({
      type: 'JSON',
      description: 'The body sent: `{ type, timestamp, tenantId, data }`.',
      select: { payload: true },
      resolve: (delivery) => delivery.payload,
    }),
    endpoint: t.relation('endpoint', { description: 'The receiving endpoint.' }),
    attempts: t.relation('attempts', {
      description: 'Every attempt, first to last.',
      query: { orderBy: { attemptNumber: 'asc' } },
    }),
  }),
});

builder.queryFields((t) => ({
  webhookDeliveries: t.withAuth({ scope: 'webhooks:manage' }).prismaConnection(
    {
      type: 'WebhookDelivery',
      cursor: 'id',
      description: "The team's webhook deliveries, newest first.",
      defaultSize: 20,
      maxSize: 100,
      args: {
        endpointId: t.arg.id({ description: 'Only deliveries to this endpoint.' }),
        status: t.arg({ type: DeliveryStatusEnum, description: 'Only deliveries in this state.' }),
        eventType: t.arg.string({ description: 'Only deliveries of this event type.' }),
      },
      resolve: (query, _root, { endpointId, status, eventType }, { services, viewer }) =>
        services.webhookDeliveries.list(viewer.tenantId, { endpointId, status, eventType }, query),
    },
    { name: 'WebhookDeliveryConnection', description: 'A page of webhook deliveries.' },
    { name: 'WebhookDeliveryEdge', description: 'A webhook delivery and its cursor.' },
  ),
  webhookDelivery: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: 'WebhookDelivery',
    description: 'One delivery with its attempts; NOT_FOUND when the team has none with this id.',
    args: { id: t.arg.id({ required: true, description: 'The delivery.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.webhookDeliveries.get(viewer.tenantId, id, query),
  }),
}));

builder.mutationFields((t) => ({
  retryWebhookDelivery: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: 'WebhookDelivery',
    description: 'Makes a FAILED or PENDING delivery due now. CONFLICT when it was sent or its endpoint is disabled.',
    args: { deliveryId: t.arg.id({ required: true, description: 'The delivery.' }) },
    resolve: (query, _root, { deliveryId }, { services, viewer }) =>
      services.webhookDeliveries.retry(viewer.tenantId, deliveryId, query),
  }),
  replayWebhookDeliveries: t.withAuth({ scope: 'webhooks:manage' }).int({
    description: 'Sends every delivery to the endpoint since a moment again, with the same `webhook-id`s; answers how many.',
    args: {
      endpointId: t.arg.id({ required: true, description: 'The endpoint.' }),
      since: t.arg({ type: 'DateTime', required: true, description: 'Deliveries created at or after this moment are sent again.' }),
    },
    resolve: (_root, { endpointId, since }, { services, viewer }) =>
      services.webhookDeliveries.replay(viewer.tenantId, endpointId, since),
  }),
  sendTestWebhook: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: 'WebhookDelivery',
    description: 'Sends a `webhook.test` event to one endpoint now, signed like any other.',
    args: { endpointId: t.arg.id({ required: true, description: 'The endpoint.' }) },
    resolve: (query, _root, { endpointId }, { services, viewer }) =>
      services.webhookDeliveries.sendTest(viewer.tenantId, endpointId, query),
  }),
}));

builder.subscriptionField('webhookDeliveryUpdated', (t) =>
  t.withAuth({ scope: 'webhooks:manage' }).field({
    type: WebhookDeliveryRef,
    description: 'Deliveries of the team as they are attempted and finished, live.',
    args: { endpointId: t.arg.id({ description: 'Only deliveries to this endpoint.' }) },
    subscribe: (_root, { endpointId }, { services, viewer }) =>
      services.webhookDeliveries.updates(viewer.tenantId, endpointId || null),
    resolve: (delivery) => delivery,
  }),
);
