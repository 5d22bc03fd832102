import type { AuditEvent } from '../../generated/prisma/client.ts';

const describe = (description: string) => ({ description });

export const auditEventTypeDescriptions = {
  TENANT_CREATED: describe('A tenant was created by sign-up.'),
  TENANT_UPDATED: describe("The tenant's name, notification addresses or lead intent agent changed; `data.fields` names what changed."),
  LOGIN_SUCCEEDED: describe('A user signed in.'),
  LOGIN_FAILED: describe("A sign-in failed; `data.reason` says why (wrong_password, user_inactive)."),
  LOGOUT: describe('A user signed out, ending their session.'),
  REFRESH_REUSE_DETECTED: describe('A used refresh token came back; its whole session was revoked.'),
  USER_CREATED: describe('A user was added.'),
  EMAIL_VERIFIED: describe("A user confirmed their email address through the link mailed to it."),
  USER_UPDATED: describe("A user's role or active state changed; `data.fields` names what changed."),
  USER_DEACTIVATED: describe("A user was deactivated: their sessions ended and their API keys were deactivated."),
  USER_REACTIVATED: describe('A deactivated user may sign in again (their API keys stay deactivated).'),
  PROFILE_UPDATED: describe("A user changed their own profile; `data.fields` names what changed."),
  INVITATION_CREATED: describe('An admin invited an email address into the team, with a role.'),
  INVITATION_ACCEPTED: describe('An invitation was accepted: `data.userId` is the new member.'),
  INVITATION_REVOKED: describe('An invitation was revoked before it was accepted.'),
  TENANT_LIMITS_CHANGED: describe("An operator changed the team's limits (`data` has the new values; null is the server default)."),
  TENANT_SUSPENDED: describe('An operator suspended the team: every credential of it is refused until it is resumed.'),
  TENANT_RESUMED: describe('An operator resumed a suspended team.'),
  API_KEY_CREATED: describe('An API key was created.'),
  API_KEY_FIRST_USED: describe('An API key authenticated a request for the first time.'),
  API_KEY_UPDATED: describe("An API key's name, scopes or expiry changed."),
  API_KEY_DEACTIVATED: describe('An API key was deactivated.'),
  API_KEY_REACTIVATED: describe('A deactivated API key was made to work again.'),
  API_KEY_DELETED: describe('An API key was deleted.'),
  WEBHOOK_ENDPOINT_CREATED: describe('A webhook endpoint was created.'),
  WEBHOOK_ENDPOINT_UPDATED: describe("A webhook endpoint's URL, events, description or state changed."),
  WEBHOOK_ENDPOINT_DELETED: describe('A webhook endpoint was deleted.'),
  WEBHOOK_SECRET_ROTATED: describe("A webhook endpoint's signing secret was rotated."),
  SERVICE_CLIENT_REGISTERED: describe('A service client was registered.'),
  SERVICE_CLIENT_DEREGISTERED: describe('A service client was deregistered.'),
  SERVICE_ENABLED: describe('The interaction service was enabled.'),
  SERVICE_DISABLED: describe('The interaction service was disabled.'),
  AGENT_CREATED: describe('An agent was created.'),
  AGENT_UPDATED: describe("An agent was changed; `data.fields` names what changed (`avatar` for its picture), never the token's value."),
  AGENT_DELETED: describe('An agent was deleted.'),
  SESSION_CREATED: describe('A channel session was created, with its session API key (`data.apiKeyId`) and any webhook endpoint bound to it.'),
  SESSION_UPDATED: describe("A channel session's settings changed; `data.fields` names what changed, never a secret's value."),
  SESSION_DELETED: describe('A channel session was deleted, with its API keys, bound webhook endpoints and messages.'),
  SESSION_CONNECTED: describe('A channel session became CONNECTED (its credentials checked, or the provider verified its webhook).'),
  SESSION_DISCONNECTED: describe('A channel session was disconnected.'),
} as const;

export type AuditEventType = keyof typeof auditEventTypeDescriptions;

export const actorTypeDescriptions = {
  USER: describe('A signed-in user.'),
  API_KEY: describe('A request authenticated with an API key.'),
  ANONYMOUS: describe('A caller not (yet) authenticated, such as a failed sign-in.'),
  SYSTEM: describe('The server itself.'),
} as const;

export type ActorType = keyof typeof actorTypeDescriptions;

/** An audit event as it travels over pub/sub: JSON only. */
export type AuditEventMessage = Omit<AuditEvent, 'createdAt'> & { createdAt: string };

export function toMessage(event: AuditEvent): AuditEventMessage {
  return { ...event, createdAt: event.createdAt.toISOString() };
}

export function fromMessage(message: AuditEventMessage): AuditEvent {
  return { ...message, createdAt: new Date(message.createdAt) };
}
