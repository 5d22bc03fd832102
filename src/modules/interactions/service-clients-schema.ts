import type { ServiceClient } from '../../generated/prisma/client.ts';
import { builder } from '../../schema/builder.ts';

/**
 * Service clients are admin business, like the webhook endpoints behind them: a client goes on
 * receiving every interaction of the tenant after the person who registered it has left, and its
 * URL may carry the receiver's credentials.
 */
const adminRead = { $all: { admin: true, scope: 'interactions:read' } } as const;
const adminWrite = { $all: { admin: true, scope: 'interactions:write' } } as const;

const ServiceClientRef = builder.prismaObject('ServiceClient', {
  description: 'A registered consumer of interactions; with a webhook URL it receives each `interaction.created`.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    clientId: t.exposeString('clientId', { description: 'The name it registered under, unique within the tenant.' }),
    webhookUrl: t.string({
      nullable: true,
      description: 'Where interactions are delivered, as signed webhooks; null for a client without one.',
      select: { endpoint: { select: { url: true } } },
      resolve: (client) => client.endpoint?.url ?? null,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
  }),
});

const RegisterServiceClientPayload = builder
  .objectRef<{ serviceClient: ServiceClient; signingSecret: string | null }>('RegisterServiceClientPayload')
  .implement({
    description: 'A registered service client. `signingSecret` is shown here once and never again: store it now.',
    fields: (t) => ({
      serviceClient: t.field({ type: ServiceClientRef, description: 'The client.', resolve: (payload) => payload.serviceClient }),
      signingSecret: t.exposeString('signingSecret', {
        nullable: true,
        description: 'The `whsec_` secret its webhooks are signed with (Standard Webhooks); null without a webhook URL.',
      }),
    }),
  });

const RegisterServiceClientInput = builder.inputType('RegisterServiceClientInput', {
  description: 'A service client to register.',
  fields: (t) => ({
    clientId: t.string({ required: true, description: 'Its name, 1 to 100 characters, unique within the tenant.' }),
    webhookUrl: t.string({ description: 'An http(s) URL to POST each new interaction to; omit to register without one.' }),
  }),
});

builder.queryField('serviceClients', (t) =>
  t.withAuth(adminRead).prismaField({
    type: ['ServiceClient'],
    description: 'The registered service clients, newest first. Admins only.',
    resolve: (query, _root, _args, { services, viewer }) => services.serviceClients.list(viewer, query),
  }),
);

builder.mutationFields((t) => ({
  registerServiceClient: t.withAuth(adminWrite).field({
    type: RegisterServiceClientPayload,
    description: 'Registers a service client; a taken clientId answers CONFLICT. Admins only.',
    args: { input: t.arg({ type: RegisterServiceClientInput, required: true, description: 'The input; each field is described on `RegisterServiceClientInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.serviceClients.register(viewer, input),
  }),
  deregisterServiceClient: t.withAuth(adminWrite).id({
    description: 'Removes a service client and stops its deliveries, pending ones included; answers its id. Admins only.',
    args: { clientId: t.arg.string({ required: true, description: 'The clientId it registered under.' }) },
    resolve: (_root, { clientId }, { services, viewer }) => services.serviceClients.deregister(viewer, clientId),
  }),
}));
