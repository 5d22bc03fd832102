import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Logger } from '../../logger.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import type { ActorType, AuditEventType } from './messages.ts';
import { toMessage } from './messages.ts';
import type { AuditEvent } from '../../generated/prisma/client.ts';

export type AuditEntry = {
  tenantId: string;
  type: AuditEventType;
  actorType: ActorType;
  actorId?: string | null;
  actorLabel?: string | null;
  ip?: string | null;
  data?: Prisma.InputJsonObject;
};

type Db = PrismaClient | Prisma.TransactionClient;

export class AuditService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  /** Writes the entry, inside the caller's transaction when given one; publish it after commit. */
  write(entry: AuditEntry, db: Db = this.prisma): Promise<AuditEvent> {
    return db.auditEvent.create({ data: { ...entry, data: entry.data ?? {} } });
  }

  async publish(...events: AuditEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.pubsub.publish('auditEventCreated', event.tenantId, toMessage(event));
      } catch (error) {
        this.logger.error({ err: error, auditEventId: event.id }, 'could not publish audit event');
      }
    }
  }

  /** Writes and publishes an entry that belongs to no larger transaction. */
  async record(entry: AuditEntry): Promise<AuditEvent> {
    const event = await this.write(entry);
    await this.publish(event);
    return event;
  }

  /** Newest first. `query` is a Prisma projection and page (take/skip/cursor) chosen by the caller. */
  list(tenantId: string, query: Omit<Prisma.AuditEventFindManyArgs, 'where' | 'orderBy'>) {
    return this.prisma.auditEvent.findMany({ ...query, where: { tenantId }, orderBy: { id: 'desc' } });
  }
}
