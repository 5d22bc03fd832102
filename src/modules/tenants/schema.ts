import { builder } from '../../schema/builder.ts';

builder.prismaObject('Tenant', {
  description: 'A team. Users, keys and everything they create belong to exactly one tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    name: t.exposeString('name', { description: 'Display name, as given at sign-up.' }),
    slug: t.exposeString('slug', { description: 'URL-safe unique name; `login` takes it as `tenantSlug`.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the tenant was created.' }),
  }),
});

builder.queryField('tenant', (t) =>
  t.prismaField({
    type: 'Tenant',
    description: "The viewer's tenant.",
    authScopes: { authenticated: true },
    resolve: (query, _root, _args, { services, viewer }) => services.tenants.get(viewer!.tenantId, query),
  }),
);
