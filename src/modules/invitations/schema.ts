import { builder } from '../../schema/builder.ts';
import { AuthPayload, startedSession } from '../auth/schema.ts';
import { RoleEnum } from '../users/schema.ts';
import { INVITATION_LIFETIME_HOURS, statusOf } from './service.ts';

const adminWrite = { $all: { admin: true, scope: 'users:write' } } as const;

const InvitationStatusEnum = builder.enumType('InvitationStatus', {
  description: 'Where an invitation stands.',
  values: {
    PENDING: { description: 'Its link works until it expires.' },
    ACCEPTED: { description: 'Someone joined the team with it.' },
    REVOKED: { description: 'An admin revoked it.' },
    EXPIRED: { description: 'Its link stopped working unused.' },
  } as const,
});

builder.prismaObject('Invitation', {
  description: 'An invitation of an email address into the team, with the role it will have.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier.' }),
    email: t.exposeString('email', { description: 'The address invited, lower-cased.' }),
    role: t.expose('role', { type: RoleEnum, description: 'The role the invitee gets.' }),
    status: t.field({ type: InvitationStatusEnum, description: 'Where it stands now.', resolve: (invitation) => statusOf(invitation) }),
    invitedBy: t.relation('invitedBy', { nullable: true, description: 'The admin who invited; null once that user is deleted.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When its link stops working.' }),
    acceptedAt: t.expose('acceptedAt', { type: 'DateTime', nullable: true, description: 'When it was accepted.' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true, description: 'When it was revoked.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
  }),
});

type Created = { invitation: { id: string }; token: string; acceptUrl: string; mailed: boolean };

const CreatedInvitation = builder.objectRef<Created>('CreatedInvitation').implement({
  description: 'A new invitation with its secret link, shown this once.',
  fields: (t) => ({
    invitation: t.prismaField({ type: 'Invitation', description: 'The invitation.', resolve: (query, created, _args, { services, viewer }) => services.invitations.find(viewer!, created.invitation.id, query) }),
    token: t.exposeString('token', { description: 'The `inv_...` token `acceptInvitation` takes. Shown once: only its hash is kept.' }),
    acceptUrl: t.exposeString('acceptUrl', { description: 'The link to hand to the invitee: a page of this server that accepts it.' }),
    mailed: t.exposeBoolean('mailed', { description: 'Whether the link is also being mailed to the address (this server sends mail).' }),
  }),
});

const InvitationPreview = builder
  .objectRef<{ email: string; role: 'ADMIN' | 'USER'; teamName: string; expiresAt: Date }>('InvitationPreview')
  .implement({
    description: 'What an open invitation is for, as its invitee may see it.',
    fields: (t) => ({
      email: t.exposeString('email', { description: 'The address invited.' }),
      role: t.expose('role', { type: RoleEnum, description: 'The role the invitee gets.' }),
      teamName: t.exposeString('teamName', { description: 'The team it joins.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'When the link stops working.' }),
    }),
  });

const InviteUserInput = builder.inputType('InviteUserInput', {
  description: 'Whom to invite.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'The address; not already a member, with no other open invitation.' }),
    role: t.field({ type: RoleEnum, defaultValue: 'USER', description: 'Defaults to USER.' }),
  }),
});

const AcceptInvitationInput = builder.inputType('AcceptInvitationInput', {
  description: 'An invitation to accept, and who accepts it.',
  fields: (t) => ({
    token: t.string({ required: true, description: 'The `inv_...` token of the link.' }),
    password: t.string({
      description:
        'The password to sign in to this team with (10 to 200 characters, not a common one). Not needed when signed in as the ' +
        "invited address (an account in another team): the new membership then takes that account's password.",
    }),
    fullName: t.string({ description: 'Display name, up to 120 characters.' }),
  }),
});

builder.queryFields((t) => ({
  invitations: t.withAuth({ $all: { admin: true, scope: 'users:read' } }).prismaField({
    type: ['Invitation'],
    description: "The team's invitations, newest first, in every state (at most 500). Admins only.",
    resolve: (query, _root, _args, { services, viewer }) => services.invitations.list(viewer, query),
  }),
  invitationPreview: t.field({
    type: InvitationPreview,
    nullable: true,
    description: 'What an invitation is for, by its token; null when it cannot be accepted (unknown, used, revoked or expired). Needs no sign-in.',
    args: { token: t.arg.string({ required: true, description: 'The `inv_...` token of the link.' }) },
    resolve: (_root, { token }, { services }) => services.invitations.preview(token),
  }),
}));

builder.mutationFields((t) => ({
  inviteUser: t.withAuth(adminWrite).field({
    type: CreatedInvitation,
    description:
      `Invites an address into the team with a role. Its link works once, for ${INVITATION_LIFETIME_HOURS / 24} days; it is in the answer, once, ` +
      "and mailed to the address when this server sends mail. Counts against the team's user limit while open (CONFLICT beyond). " +
      'Admins only; audited as INVITATION_CREATED.',
    args: { input: t.arg({ type: InviteUserInput, required: true, description: 'The input; each field is described on `InviteUserInput`.' }) },
    resolve: (_root, { input }, { services, viewer }) => services.invitations.invite(viewer, input),
  }),
  revokeInvitation: t.withAuth(adminWrite).prismaField({
    type: 'Invitation',
    description: 'Revokes an open invitation: its link stops working. CONFLICT once it is accepted, revoked or expired. Admins only; audited.',
    args: { id: t.arg.id({ required: true, description: 'The invitation; NOT_FOUND outside the team.' }) },
    resolve: (query, _root, { id }, { services, viewer }) => services.invitations.revoke(viewer, String(id), query),
  }),
  acceptInvitation: t.field({
    type: AuthPayload,
    description:
      'Joins the team an invitation is for and signs in to it (cookies too, as `login`). The token works once: otherwise UNAUTHENTICATED. ' +
      'A person in several teams then signs in with `tenantSlug`. Audited as INVITATION_ACCEPTED.',
    args: { input: t.arg({ type: AcceptInvitationInput, required: true, description: 'The input; each field is described on `AcceptInvitationInput`.' }) },
    resolve: async (_root, { input }, context) => startedSession(context, await context.services.invitations.accept(context.viewer, input)),
  }),
}));
