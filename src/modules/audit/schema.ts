import { builder } from '../../schema/builder.ts';
import { actorTypeDescriptions, auditEventTypeDescriptions, type ActorType, type AuditEventType } from './messages.ts';
import { LIVE_ONLY } from '../../schema/live-only.ts';

const AuditEventTypeEnum = builder.enumType('AuditEventType', {
  description: 'What happened.',
  values: auditEventTypeDescriptions,
});

const ActorTypeEnum = builder.enumType('ActorType', {
  description: 'Who or what caused an audit event.',
  values: actorTypeDescriptions,
});

const AuditActor = builder
  .objectRef<{ type: ActorType; id: string | null }>('AuditActor')
  .implement({
    description: 'Who caused an audit event.',
    fields: (t) => ({
      type: t.expose('type', { type: ActorTypeEnum, description: 'A user, an API key, an anonymous caller or the system.' }),
      id: t.exposeID('id', { nullable: true, description: 'The user or API key id, when known.' }),
    }),
  });

const AuditEventRef = builder.prismaObject('AuditEvent', {
  description: 'A security-relevant event in the tenant: sign-ins, users, API keys.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable identifier; ids grow with time.' }),
    type: t.field({
      type: AuditEventTypeEnum,
      description: 'What happened.',
      resolve: (event) => event.type as AuditEventType,
    }),
    actor: t.field({
      type: AuditActor,
      description: 'Who caused it.',
      resolve: (event) => ({ type: event.actorType as ActorType, id: event.actorId }),
    }),
    ip: t.exposeString('ip', { nullable: true, description: 'The client address, when it came from a request.' }),
    data: t.expose('data', { type: 'JSON', description: 'Details, depending on the type (never secrets).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it happened.' }),
  }),
});

builder.queryField('auditEvents', (t) =>
  t.withAuth({ scope: 'audit:read' }).prismaConnection(
    {
      type: 'AuditEvent',
      cursor: 'id',
      description: "The tenant's audit log, newest first. Admins only.",
      defaultSize: 20,
      maxSize: 100,
      resolve: (query, _root, _args, { services, viewer }) => services.audit.list(viewer.tenantId, query),
    },
    { name: 'AuditEventConnection', description: 'A page of audit events.' },
    { name: 'AuditEventEdge', description: 'An audit event and its cursor.' },
  ),
);

builder.subscriptionField('auditEventCreated', (t) =>
  t.withAuth({ scope: 'audit:read' }).field({
    extensions: LIVE_ONLY,
    type: AuditEventRef,
    description: "Every new audit event of the viewer's tenant, live. Admins only.",
    subscribe: (_root, _args, { services, viewer }) => services.audit.follow(viewer.tenantId),
    resolve: (event) => event,
  }),
);
