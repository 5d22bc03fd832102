import { scopeCatalogue } from '../../auth/scopes.ts';
import { builder } from '../../schema/builder.ts';
import type { ApiKey } from '../../generated/prisma/client.ts';

const ApiKeyRef = builder.prismaObject('ApiKey', {
  description: 'A long-lived credential for servers and scripts (`X-API-Key: sk_...`). The key itself is shown once.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    name: t.exposeString('name', { description: 'What the key is for.' }),
    lastFour: t.exposeString('lastFour', { description: 'The last four characters of the key, to tell keys apart.' }),
    scopes: t.exposeStringList('scopes', { description: 'What the key may do; see `apiKeyScopes`.' }),
    isActive: t.exposeBoolean('isActive', { description: 'Deactivated keys are refused.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'Last use, to the minute.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When the key stops working, if ever.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the key was created.' }),
    createdBy: t.relation('createdBy', { description: 'The user the key acts for.' }),
    sessionId: t.exposeID('sessionId', {
      nullable: true,
      description: "Set for a session's own API key (made by createSession): it works only for that session's operations.",
    }),
  }),
});

const ApiKeyScope = builder.objectRef<{ name: string; description: string; adminOnly: boolean }>('ApiKeyScope').implement({
  description: 'A permission an API key can carry.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The scope, as given in `scopes`.' }),
    description: t.exposeString('description', { description: 'What it allows.' }),
    adminOnly: t.exposeBoolean('adminOnly', { description: 'Only keys created by admins can carry it.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ key: string; apiKey: ApiKey }>('CreateApiKeyPayload').implement({
  description: 'A new key. `key` is shown here once and never again: store it now.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The secret key, `sk_` and 43 characters.' }),
    apiKey: t.field({ type: ApiKeyRef, description: 'The stored key.', resolve: (payload) => payload.apiKey }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  description: 'A new API key.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'What the key is for, 1 to 100 characters.' }),
    scopes: t.stringList({ description: 'Scopes from `apiKeyScopes`. Omit for every scope you hold.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the key stops working; omit for never.' }),
  }),
});

const UpdateApiKeyInput = builder.inputType('UpdateApiKeyInput', {
  description: 'Changes to an API key; omitted fields stay as they are.',
  fields: (t) => ({
    name: t.string({ description: 'New name.' }),
    scopes: t.stringList({ description: 'New scopes, replacing the old ones.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'New expiry; null for never.' }),
  }),
});

builder.queryFields((t) => ({
  apiKeys: t.withAuth({ scope: 'api_keys:read' }).prismaField({
    type: ['ApiKey'],
    description: 'API keys, newest first: all of the tenant for admins, your own otherwise.',
    resolve: (query, _root, _args, { services, viewer }) => services.apiKeys.list(viewer, query),
  }),
  apiKey: t.withAuth({ scope: 'api_keys:read' }).prismaField({
    type: 'ApiKey',
    nullable: true,
    description: "One key, active or not: any of the team's for admins, your own otherwise; NOT_FOUND for any other id.",
    args: { id: t.arg.id({ required: true, description: 'The key.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.apiKeys.get(viewer, id, query),
  }),
  apiKeyScopes: t.field({
    type: [ApiKeyScope],
    description: 'Every scope an API key can carry.',
    resolve: () => Object.entries(scopeCatalogue).map(([name, scope]) => ({ name, ...scope })),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.withAuth({ scope: 'api_keys:write' }).field({
    type: CreateApiKeyPayload,
    description: 'Creates a key acting for you, with at most the scopes you hold. Signed-in users only: an API key cannot create keys (FORBIDDEN).',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true, description: 'The input; each field is described on `CreateApiKeyInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.apiKeys.create(viewer, input),
  }),
  updateApiKey: t.withAuth({ scope: 'api_keys:write' }).prismaField({
    type: 'ApiKey',
    description: 'Renames a key, changes its scopes or expiry.',
    args: {
      id: t.arg.id({ required: true, description: 'The key.' }),
      input: t.arg({ type: UpdateApiKeyInput, required: true, description: 'The input; each field is described on `UpdateApiKeyInput`.' }),
    },
    resolve: (_query, _root, { id, input }, { services, viewer }) => services.apiKeys.update(viewer, id, input),
  }),
  deactivateApiKey: t.withAuth({ scope: 'api_keys:write' }).prismaField({
    type: 'ApiKey',
    description: 'Stops a key from working, keeping its record.',
    args: { id: t.arg.id({ required: true, description: 'The key.' }) },
    resolve: (_query, _root, { id }, { services, viewer }) => services.apiKeys.deactivate(viewer, id),
  }),
  reactivateApiKey: t.withAuth({ scope: 'api_keys:write' }).prismaField({
    type: 'ApiKey',
    description:
      "Makes a deactivated key work again, with the scopes its creator's role still allows. Signed-in users only (FORBIDDEN for an API key); an expired key needs a new expiry first (BAD_USER_INPUT).",
    args: { id: t.arg.id({ required: true, description: 'The key.' }) },
    resolve: (_query, _root, { id }, { services, viewer }) => services.apiKeys.reactivate(viewer, id),
  }),
  deleteApiKey: t.withAuth({ scope: 'api_keys:write' }).id({
    description: 'Deletes a key; answers its id.',
    args: { id: t.arg.id({ required: true, description: 'The key.' }) },
    resolve: (_root, { id }, { services, viewer }) => services.apiKeys.delete(viewer, id),
  }),
}));
