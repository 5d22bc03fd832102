import { builder } from '../../schema/builder.ts';

export const RoleEnum = builder.enumType('Role', {
  description: 'What a user may do in their tenant.',
  values: {
    ADMIN: { description: 'Manages users, keys, agents, sessions and webhooks.' },
    USER: { description: 'Works with chats, leads and what admins set up.' },
  } as const,
});

export const UserRef = builder.prismaObject('User', {
  description: 'A person who signs in to a tenant.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    email: t.exposeString('email', { description: 'Sign-in email, unique within the tenant, lower-cased.' }),
    fullName: t.exposeString('fullName', { nullable: true, description: 'Display name.' }),
    role: t.expose('role', { type: RoleEnum, description: 'ADMIN or USER.' }),
    isActive: t.exposeBoolean('isActive', { description: 'Deactivated users cannot sign in.' }),
    emailVerifiedAt: t.expose('emailVerifiedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user confirmed their email through the link mailed to it; null until then. Only asked when the server sends mail.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user was created.' }),
    tenant: t.relation('tenant', { description: 'The tenant the user belongs to.' }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  description: 'A new user of the tenant.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Unique within the tenant.' }),
    password: t.string({ required: true, description: '10 to 200 characters, not blank, not one of the most common passwords.' }),
    fullName: t.string({ description: 'Display name, up to 120 characters.' }),
    role: t.field({ type: RoleEnum, defaultValue: 'USER', description: 'Defaults to USER.' }),
  }),
});

builder.queryFields((t) => ({
  me: t.withAuth({ authenticated: true }).field({
    type: UserRef,
    description: 'The signed-in user, or the user who created the API key in use.',
    resolve: (_root, _args, { services, viewer }) => services.users.viewerRow(viewer),
  }),
  users: t.withAuth({ scope: 'users:read' }).prismaField({
    type: ['User'],
    description: 'Every user of the tenant, oldest first.',
    resolve: (query, _root, _args, { services, viewer }) => services.users.list(viewer, query),
  }),
}));

builder.mutationField('createUser', (t) =>
  t.withAuth({ scope: 'users:write' }).prismaField({
    type: 'User',
    description: 'Adds a user to the tenant. Admins only.',
    args: { input: t.arg({ type: CreateUserInput, required: true, description: 'The input; each field is described on `CreateUserInput`.' }) },
    resolve: (query, _root, { input }, { services, viewer }) => services.users.create(viewer, input, query),
  }),
);

builder.mutationFields((t) => ({
  verifyEmail: t.field({
    type: UserRef,
    description:
      "Confirms a user's email with the token from the link mailed to them (also served at GET /verify-email?token=...). " +
      'A token works once, for 48 hours; otherwise UNAUTHENTICATED. Needs no sign-in.',
    args: { token: t.arg.string({ required: true, description: 'The `ev_...` token from the email.' }) },
    resolve: (_root, { token }, { services }) => services.emailVerifications.verify(token),
  }),
  resendVerificationEmail: t.withAuth({ authenticated: true }).boolean({
    description: "Mails the signed-in user a new verification link. CONFLICT when already verified, or when this server sends no mail.",
    resolve: (_root, _args, { services, viewer }) => services.emailVerifications.resend(viewer),
  }),
}));
