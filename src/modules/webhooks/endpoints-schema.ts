import { actorOf } from '../../auth/viewer.ts';
import { eventCatalogue, webhookEventTypes } from '../events.ts';
import { webhookEventSchemas } from '../webhook-event-schemas.generated.ts';
import type { WebhookEndpoint } from '../../generated/prisma/client.ts';
import { builder } from '../../schema/builder.ts';
import { MAX_ENDPOINTS_PER_TENANT } from './endpoints-service.ts';

const WebhookEndpointRef = builder.prismaObject('WebhookEndpoint', {
  description: 'A receiver of signed event deliveries over HTTP(S). Its signing secret is shown once, at creation or rotation.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    url: t.exposeString('url', { description: 'Where events are POSTed.' }),
    description: t.exposeString('description', { nullable: true, description: 'What the endpoint is for.' }),
    events: t.exposeStringList('events', { description: 'Event types delivered, from `webhookEventTypes`; empty means every type.' }),
    sessionId: t.exposeID('sessionId', { nullable: true, description: 'When set, only events of this channel session are delivered.' }),
    isActive: t.exposeBoolean('isActive', { description: 'Inactive endpoints receive nothing.' }),
    disabledReason: t.exposeString('disabledReason', {
      nullable: true,
      description: 'Why the endpoint is inactive: disabled by a user, or after failing for too long.',
    }),
    failingSince: t.expose('failingSince', {
      type: 'DateTime',
      nullable: true,
      description: 'Since when deliveries have failed without a success; an endpoint failing too long is disabled.',
    }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Until when the secret replaced by the last rotation still signs deliveries beside the current one.',
      resolve: ({ previousSecretExpiresAt: until }) => (until && until > new Date() ? until : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the endpoint was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the endpoint last changed.' }),
  }),
});

const WebhookEventType = builder.objectRef<{ name: string; description: string }>('WebhookEventType').implement({
  description: 'An event type webhook endpoints can subscribe to.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The type, as in `events` and the body\'s `type`.' }),
    description: t.exposeString('description', { description: 'When it is sent.' }),
    schema: t.field({
      type: 'JSON',
      description:
        'The JSON Schema (draft-07) of the whole body (`type`, `timestamp`, `tenantId`, `data`), generated from the types the server ' +
        'emits, so it cannot drift from what is sent. Validate deliveries with it, or generate types from it.',
      resolve: ({ name }) => webhookEventSchemas[name],
    }),
  }),
});

const endpointWithSecret = (name: string, description: string) =>
  builder.objectRef<{ endpoint: WebhookEndpoint; secret: string }>(name).implement({
    description,
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpointRef, description: 'The endpoint.', resolve: (payload) => payload.endpoint }),
      secret: t.exposeString('secret', { description: 'The signing secret, `whsec_` and the base64 of the key. Shown once.' }),
    }),
  });

export const CreateWebhookEndpointPayload = endpointWithSecret(
  'CreateWebhookEndpointPayload',
  'A new endpoint. `secret` is shown here once and never again: store it now.',
);
const RotateWebhookSecretPayload = endpointWithSecret(
  'RotateWebhookSecretPayload',
  'The endpoint with its new secret, shown here once. The old secret keeps signing for 24 hours.',
);

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  description: 'A new webhook endpoint.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'An http(s) URL without credentials, reachable on a public address.' }),
    events: t.stringList({ description: 'Event types from `webhookEventTypes`; omit or leave empty for every type.' }),
    description: t.string({ description: 'What the endpoint is for, at most 500 characters.' }),
    sessionId: t.id({ description: 'Deliver only events of this channel session of the team.' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Changes to a webhook endpoint; omitted fields stay as they are.',
  fields: (t) => ({
    url: t.string({ description: 'New URL, checked as at creation.' }),
    events: t.stringList({ description: 'New event types, replacing the old ones; empty for every type.' }),
    description: t.string({ description: 'New description; null to clear it.' }),
    isActive: t.boolean({ description: 'False disables the endpoint; true enables it again and forgets its failures.' }),
    sessionId: t.id({ description: "Deliver only events of this channel session of the team; null for every session's." }),
  }),
});

builder.queryFields((t) => ({
  webhookEndpoints: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: ['WebhookEndpoint'],
    description: "The team's webhook endpoints, newest first.",
    resolve: (query, _root, _args, { services, viewer }) => services.webhookEndpoints.list(viewer.tenantId, query),
  }),
  webhookEndpoint: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: 'WebhookEndpoint',
    nullable: true,
    description: 'One webhook endpoint; NOT_FOUND when the team has none with this id.',
    args: { id: t.arg.id({ required: true, description: 'The endpoint.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.webhookEndpoints.get(viewer.tenantId, id, query),
  }),
  webhookEventTypes: t.stringList({
    description: 'Every event type webhook endpoints can subscribe to; `webhookEventCatalogue` has each one\'s description and body schema.',
    resolve: () => webhookEventTypes,
  }),
  webhookEventCatalogue: t.field({
    type: [WebhookEventType],
    description: 'Every event type webhook endpoints can subscribe to, with what it means and the JSON Schema of its body.',
    resolve: () => webhookEventTypes.map((name) => ({ name, description: eventCatalogue[name].description })),
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.withAuth({ scope: 'webhooks:manage' }).field({
    type: CreateWebhookEndpointPayload,
    description: `Registers an endpoint and answers its signing secret, once. At most ${MAX_ENDPOINTS_PER_TENANT} per team (CONFLICT beyond).`,
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true, description: 'The input; each field is described on `CreateWebhookEndpointInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.webhookEndpoints.create(viewer.tenantId, input, actorOf(viewer)),
  }),
  updateWebhookEndpoint: t.withAuth({ scope: 'webhooks:manage' }).prismaField({
    type: 'WebhookEndpoint',
    description: "Changes an endpoint's URL, events, description or session, or disables or enables it.",
    args: {
      id: t.arg.id({ required: true, description: 'The endpoint.' }),
      input: t.arg({ type: UpdateWebhookEndpointInput, required: true, description: 'The input; each field is described on `UpdateWebhookEndpointInput`.' }),
    },
    resolve: (_query, _root, { id, input }, { services, viewer }) =>
      services.webhookEndpoints.update(viewer.tenantId, id, input, actorOf(viewer)),
  }),
  deleteWebhookEndpoint: t.withAuth({ scope: 'webhooks:manage' }).id({
    description: 'Deletes an endpoint and its delivery history; answers its id.',
    args: { id: t.arg.id({ required: true, description: 'The endpoint.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.webhookEndpoints.delete(viewer.tenantId, id, actorOf(viewer)),
  }),
  rotateWebhookSecret: t.withAuth({ scope: 'webhooks:manage' }).field({
    type: RotateWebhookSecretPayload,
    description: 'Gives an endpoint a new signing secret; deliveries carry both signatures for 24 hours.',
    args: { id: t.arg.id({ required: true, description: 'The endpoint.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.webhookEndpoints.rotateSecret(viewer.tenantId, id, actorOf(viewer)),
  }),
}));
