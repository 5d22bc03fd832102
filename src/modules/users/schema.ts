import { builder } from '../../schema/builder.ts';
import { MAX_AVATAR_BYTES } from '../../uploads/avatar-image.ts';
import { userAvatarPath } from './avatar.ts';
import { MAX_PREFERENCES_BYTES } from './profile.ts';

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
    avatarUrl: t.string({
      nullable: true,
      description:
        "Path of the user's picture on this server (/avatars/users/<id>/<sha256>), loadable without credentials and " +
        'cacheable for good: a new picture gets a new URL. Null when they have none.',
      select: { avatar: { select: { sha256: true } } },
      resolve: (user) => (user.avatar ? userAvatarPath(user.id, user.avatar.sha256) : null),
    }),
    preferences: t.field({
      type: 'JSON',
      nullable: true,
      description: "What the user's clients keep for them (theme, language...), as set with `updateMyProfile`. Null for anyone but the user themselves.",
      resolve: (user, _args, { viewer }) => (viewer?.userId === user.id ? user.preferences : null),
    }),
    lastLoginAt: t.expose('lastLoginAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the user last signed in with their password (refreshing a session does not count); null if never.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user was created.' }),
    tenant: t.relation('tenant', { description: 'The tenant the user belongs to.' }),
  }),
});

const UpdateUserInput = builder.inputType('UpdateUserInput', {
  description: 'Changes to a member; omitted (or null) fields stay as they are.',
  fields: (t) => ({
    role: t.field({ type: RoleEnum, description: 'New role. Demoting ends their sign-in sessions (an access token carries its role).' }),
    isActive: t.boolean({
      description:
        'False deactivates them: their sessions end, their API keys are deactivated and their open connections close, on every instance. ' +
        'True lets them sign in again (their keys stay deactivated until reactivated).',
    }),
  }),
});

const UpdateMyProfileInput = builder.inputType('UpdateMyProfileInput', {
  description: "Changes to the signed-in user's own profile; omitted fields stay as they are.",
  fields: (t) => ({
    fullName: t.string({ description: 'Display name, up to 120 characters; null clears it.' }),
    preferences: t.field({
      type: 'JSON',
      description: `A JSON object of at most ${MAX_PREFERENCES_BYTES} bytes, replacing the previous one whole; null leaves them.`,
    }),
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
  updateUser: t.withAuth({ $all: { admin: true, scope: 'users:write' } }).prismaField({
    type: 'User',
    description:
      "Changes a member's role or active state. The team's last active admin can be neither demoted nor deactivated (CONFLICT). " +
      'Reactivating counts against the team\'s user limit. Admins only; audited as USER_UPDATED, USER_DEACTIVATED or USER_REACTIVATED.',
    args: {
      id: t.arg.id({ required: true, description: 'The user; NOT_FOUND outside the team.' }),
      input: t.arg({ type: UpdateUserInput, required: true, description: 'The input; each field is described on `UpdateUserInput`.' }),
    },
    resolve: (query, _root, { id, input }, { services, viewer }) => services.members.update(viewer, String(id), input, query),
  }),
  updateMyProfile: t.withAuth({ authenticated: true }).prismaField({
    type: 'User',
    description: "Changes the signed-in user's name or preferences. Needs a sign-in session: an API key gets FORBIDDEN. Audited as PROFILE_UPDATED.",
    args: { input: t.arg({ type: UpdateMyProfileInput, required: true, description: 'The input; each field is described on `UpdateMyProfileInput`.' }) },
    resolve: (query, _root, { input }, { services, viewer }) => services.profiles.update(viewer, input, query),
  }),
  uploadMyAvatar: t.withAuth({ authenticated: true }).prismaField({
    type: 'User',
    description:
      `Sets the signed-in user's picture from a file sent as a GraphQL multipart request: a PNG, JPEG, GIF or WebP image ` +
      `(judged by its content) of at most ${MAX_AVATAR_BYTES} bytes. Needs a sign-in session.`,
    args: { file: t.arg({ type: 'File', required: true, description: 'The image.' }) },
    resolve: (query, _root, { file }, { services, viewer }) => services.profiles.setAvatar(viewer, file, query),
  }),
  removeMyAvatar: t.withAuth({ authenticated: true }).prismaField({
    type: 'User',
    description: "Removes the signed-in user's picture, if they have one. Needs a sign-in session.",
    resolve: (query, _root, _args, { services, viewer }) => services.profiles.removeAvatar(viewer, query),
  }),
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
