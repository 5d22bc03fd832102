import type { Catalogue } from '../../events/catalogue.ts';
import type { AuditEventMessage } from './messages.ts';

export type AuditEvents = {
  'audit.event_created': AuditEventMessage;
};

export const auditEvents = {
  'audit.event_created': { webhook: false, description: 'An audit event was recorded.' },
} as const satisfies Catalogue<AuditEvents>;
