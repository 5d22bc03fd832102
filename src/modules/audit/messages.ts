import type { AuditEvent } from '../../generated/prisma/client.ts';

export const auditEventTypes = [
  'TENANT_CREATED',
  'LOGIN_SUCCEEDED',
  'LOGIN_FAILED',
  'LOGOUT',
  'REFRESH_REUSE_DETECTED',
  'USER_CREATED',
  'API_KEY_CREATED',
  'API_KEY_FIRST_USED',
  'API_KEY_UPDATED',
  'API_KEY_DEACTIVATED',
  'API_KEY_DELETED',
] as const;

export type AuditEventType = (typeof auditEventTypes)[number];

export const actorTypes = ['USER', 'API_KEY', 'ANONYMOUS', 'SYSTEM'] as const;

export type ActorType = (typeof actorTypes)[number];

/** An audit event as it travels over pub/sub: JSON only. */
export type AuditEventMessage = Omit<AuditEvent, 'createdAt'> & { createdAt: string };

export function toMessage(event: AuditEvent): AuditEventMessage {
  return { ...event, createdAt: event.createdAt.toISOString() };
}

export function fromMessage(message: AuditEventMessage): AuditEvent {
  return { ...message, createdAt: new Date(message.createdAt) };
}
