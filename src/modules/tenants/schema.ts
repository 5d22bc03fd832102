import { builder } from '../../schema/builder.ts';
import { MAX_NOTIFICATION_EMAILS } from './service.ts';

builder.prismaObject('Tenant', {
  description: 'A team. Users, keys and everything they create belong to exactly one tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    name: t.exposeString('name', { description: 'Display name, as given at sign-up.' }),
    slug: t.exposeString('slug', { description: 'URL-safe unique name; `login` takes it as `tenantSlug`.' }),
    notificationEmails: t.exposeStringList('notificationEmails', {
      nullable: true,
      authScopes: { admin: true },
      description:
        'Who is emailed when a lead turns HOT. Admins only: for anyone else this field is null with a FORBIDDEN error ' +
        '(the rest of the tenant still answers).',
    }),
    leadIntentAgentId: t.exposeID('intentAgentId', {
      nullable: true,
      description: 'The agent that classifies lead intent (`setLeadIntentAgent`); null when the rules alone decide.',
    }),
    transcriptionAgentId: t.exposeID('transcriptionAgentId', {
      nullable: true,
      description: 'The agent whose API transcribes recorded interactions (`setInteractionTranscription`); null: recordings are refused.',
    }),
    transcriptionModel: t.exposeString('transcriptionModel', { nullable: true, description: 'The model recordings are transcribed with.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the tenant was created.' }),
  }),
});

const UpdateTenantInput = builder.inputType('UpdateTenantInput', {
  description: 'Changes to the tenant; omitted (or null) fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: 'New display name, 1 to 100 characters. The slug does not change.' }),
    notificationEmails: t.stringList({
      description:
        `The addresses to email when a lead turns HOT, replacing the old list: valid emails, at most ${MAX_NOTIFICATION_EMAILS} ` +
        'once lower-cased and deduplicated; `[]` emails no one.',
    }),
  }),
});

builder.queryField('tenant', (t) =>
  t.withAuth({ authenticated: true }).prismaField({
    type: 'Tenant',
    description: "The viewer's tenant.",
    resolve: (query, _root, _args, { services, viewer }) => services.tenants.get(viewer.tenantId, query),
  }),
);

builder.mutationField('updateTenant', (t) =>
  t.withAuth({ $all: { admin: true, scope: 'tenant:write' } }).prismaField({
    type: 'Tenant',
    description: 'Renames the tenant or sets who is emailed about HOT leads. Admins only; audited as TENANT_UPDATED.',
    args: { input: t.arg({ type: UpdateTenantInput, required: true, description: 'The input; each field is described on `UpdateTenantInput`.' }) },
    resolve: (query, _root, { input }, { services, viewer }) => services.tenants.update(viewer, input, query),
  }),
);

builder.mutationField('setLeadIntentAgent', (t) =>
  t.withAuth({ $all: { admin: true, scope: 'tenant:write' } }).prismaField({
    type: 'Tenant',
    description:
      "Chooses the agent (one of the team's active agents, of either kind) that classifies each conversation lead's intent " +
      'after every inbound message, or none (null): the rules alone. The agent answers a JSON verdict (intent, score, reason); ' +
      'when the call fails or the verdict is invalid the rules decide. Intents a team member set are left alone. ' +
      'BAD_USER_INPUT on `agentId` for an agent the team does not have. Admins only; audited as TENANT_UPDATED.',
    args: { agentId: t.arg.id({ description: 'The agent; null (or omitted) for none.' }) },
    resolve: (query, _root, { agentId }, { services, viewer }) => services.tenants.setLeadIntentAgent(viewer, agentId ?? null, query),
  }),
);
