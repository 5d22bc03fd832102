import { graphql } from '../generated/gql.ts';

export const UpdateUser = graphql(`
  mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) { id email role isActive }
  }
`);

export const UpdateMyProfile = graphql(`
  mutation UpdateMyProfile($input: UpdateMyProfileInput!) {
    updateMyProfile(input: $input) { id fullName preferences avatarUrl }
  }
`);

export const UploadMyAvatar = graphql(`
  mutation UploadMyAvatar($file: File!) {
    uploadMyAvatar(file: $file) { id avatarUrl }
  }
`);

export const RemoveMyAvatar = graphql(`
  mutation RemoveMyAvatar {
    removeMyAvatar { id avatarUrl }
  }
`);

export const Profile = graphql(`
  query Profile {
    me { id fullName preferences avatarUrl lastLoginAt }
  }
`);

export const TeamMembers = graphql(`
  query TeamMembers {
    users { id email role isActive preferences avatarUrl lastLoginAt }
  }
`);

export const InviteUser = graphql(`
  mutation InviteUser($input: InviteUserInput!) {
    inviteUser(input: $input) {
      token
      acceptUrl
      mailed
      invitation { id email role status expiresAt invitedBy { id } }
    }
  }
`);

export const Invitations = graphql(`
  query Invitations {
    invitations { id email role status acceptedAt revokedAt }
  }
`);

export const RevokeInvitation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { id status revokedAt }
  }
`);

export const InvitationPreview = graphql(`
  query InvitationPreview($token: String!) {
    invitationPreview(token: $token) { email role teamName expiresAt }
  }
`);

export const AcceptInvitation = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      accessToken
      refreshToken
      user { id email role fullName tenant { id slug } }
    }
  }
`);
