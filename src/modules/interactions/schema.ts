import { builder } from '../../schema/builder.ts';
import type { ServiceStatus } from './service.ts';
import { LIVE_ONLY } from '../../schema/live-only.ts';

/** Turning the service on and off changes what every caller of the tenant may do: an admin's decision. */
const adminWrite = { $all: { admin: true, scope: 'interactions:write' } } as const;

const InteractionRef = builder.prismaObject('Interaction', {
  description: 'Something said in a conversation, registered by a service of the tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    text: t.exposeString('text', { description: 'What was said.' }),
    speakerId: t.exposeString('speakerId', { nullable: true, description: "Who said it, in the registering service's own terms." }),
    conversationId: t.exposeString('conversationId', { nullable: true, description: "The conversation it belongs to, in the registering service's own terms." }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime', description: 'When it was said.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was registered.' }),
  }),
});

const ServiceStatusRef = builder.objectRef<ServiceStatus>('ServiceStatus').implement({
  description: "Whether the tenant's interaction service accepts interactions.",
  fields: (t) => ({
    enabled: t.exposeBoolean('enabled', { description: 'While false, `registerInteraction` answers CONFLICT.' }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When an admin last enabled or disabled it; null if nobody ever has (it starts enabled).',
    }),
  }),
});

const RegisterInteractionInput = builder.inputType('RegisterInteractionInput', {
  description: 'An interaction to register.',
  fields: (t) => ({
    text: t.string({ required: true, description: 'What was said, 1 to 10000 characters, not only whitespace.' }),
    speakerId: t.string({ description: 'Who said it, up to 200 characters.' }),
    conversationId: t.string({ description: 'The conversation it belongs to, up to 200 characters.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it was said; defaults to now, at most 5 minutes ahead.' }),
  }),
});

builder.queryFields((t) => ({
  interactions: t.withAuth({ scope: 'interactions:read' }).prismaConnection(
    {
      type: 'Interaction',
      cursor: 'id',
      description: "The tenant's interactions, most recently registered first.",
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, _args, { services, viewer }) => services.interactions.list(viewer.tenantId, query),
    },
    { name: 'InteractionConnection', description: 'A page of interactions.' },
    { name: 'InteractionEdge', description: 'An interaction and its cursor.' },
  ),
  serviceStatus: t.withAuth({ scope: 'interactions:read' }).field({
    type: ServiceStatusRef,
    description: "Whether the tenant's interaction service accepts interactions.",
    resolve: (_root, _args, { services, viewer }) => services.interactions.status(viewer.tenantId),
  }),
}));

builder.mutationFields((t) => ({
  registerInteraction: t.withAuth({ scope: 'interactions:write' }).field({
    type: InteractionRef,
    description:
      'Stores an interaction and sends `interaction.created` to `interactionCreated` subscribers and to every service ' +
      'client with a webhook URL. While the service is disabled it is refused with CONFLICT ' +
      '("The interaction service is disabled") and nothing is stored: retry once an admin runs `enableService`.',
    args: { input: t.arg({ type: RegisterInteractionInput, required: true, description: 'The input; each field is described on `RegisterInteractionInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.interactions.register(viewer.tenantId, input),
  }),
  enableService: t.withAuth(adminWrite).field({
    type: ServiceStatusRef,
    description: 'Lets the tenant register interactions again. Admins only.',
    resolve: (_root, _args, { services, viewer }) => services.interactions.setEnabled(viewer, true),
  }),
  disableService: t.withAuth(adminWrite).field({
    type: ServiceStatusRef,
    description: 'Refuses interactions (CONFLICT) until `enableService`; those already stored stay. Admins only.',
    resolve: (_root, _args, { services, viewer }) => services.interactions.setEnabled(viewer, false),
  }),
}));

builder.subscriptionField('interactionCreated', (t) =>
  t.withAuth({ scope: 'interactions:read' }).field({
    extensions: LIVE_ONLY,
    type: InteractionRef,
    description: "Every interaction registered in the viewer's tenant, live.",
    subscribe: (_root, _args, { services, viewer }) => services.interactions.follow(viewer.tenantId),
    resolve: (interaction) => interaction,
  }),
);
