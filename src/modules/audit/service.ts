import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { AuditEvent } from '../../generated/prisma/client.ts';
import { map, pipe } from 'graphql-yoga';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { domainEvents, type Outbox, type UnitOfWork } from '../events.ts';
import type { ActorType, AuditEventType } from './messages.ts';
import { fromMessage, toMessage } from './messages.ts';

export type AuditEntry = {
  tenantId: string;
  type: AuditEventType;
  actorType: ActorType;
  actorId?: string | null;
  actorLabel?: string | null;
  ip?: string | null;
  data?: Prisma.InputJsonObject;
};

export class AuditService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly pubsub: PubSub,
  ) {}

  /** Every audit event of the tenant as it is written, live. */
  follow(tenantId: string): AsyncIterable<AuditEvent> {
    return pipe(
      domainEvents(this.pubsub, tenantId, 'audit.event_created'),
      map((event) => fromMessage(event.data)),
    );
  }

  /** Writes the entry in the caller's unit of work; live subscribers hear it once that commits. */
  async write(entry: AuditEntry, { tx, emit }: UnitOfWork): Promise<AuditEvent> {
    const event = await tx.auditEvent.create({ data: { ...entry, data: entry.data ?? {} } });
    await emit(entry.tenantId, 'audit.event_created', toMessage(event));
    return event;
  }

  /** Writes an entry that belongs to no larger change. */
  record(entry: AuditEntry): Promise<AuditEvent> {
    return this.outbox.transaction((unit) => this.write(entry, unit));
  }

  /** Newest first. `query` is a Prisma projection and page (take/skip/cursor) chosen by the caller. */
  list(tenantId: string, query: Omit<Prisma.AuditEventFindManyArgs, 'where' | 'orderBy'>) {
    return this.prisma.auditEvent.findMany({ ...query, where: { tenantId }, orderBy: { id: 'desc' } });
  }
}
