import { uuid7 } from '../db/uuid7.ts';
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { DomainEvent, EventMap } from './catalogue.ts';

/** Emits one event of `Events`, its payload checked against its type. */
export type Emit<Events extends EventMap> = <Type extends keyof Events & string>(tenantId: string, type: Type, data: Events[Type]) => Promise<void>;

/** A transaction in which state changes and the events describing them commit together. */
export type UnitOfWork<Events extends EventMap> = {
  tx: Prisma.TransactionClient;
  emit: Emit<Events>;
  /** Emits many events with one statement. */
  emitAll: (events: DomainEvent<Events>[]) => Promise<void>;
};

/**
 * The write side of the transactional outbox. Services change state and emit events inside
 * `transaction`; after the commit the dispatcher is woken, and other instances find the events
 * on their next poll, so nothing depends on this process living past the commit.
 */
export class Outbox<Events extends EventMap> {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly onCommitted: () => void,
  ) {}

  async transaction<T>(work: (unit: UnitOfWork<Events>) => Promise<T>): Promise<T> {
    let emitted = false;
    const result = await this.prisma.$transaction(async (tx) =>
      work({
        tx,
        emit: async (tenantId, type, data) => {
          emitted = true;
          await tx.outboxEvent.create({ data: { tenantId, type, data: data as Prisma.InputJsonObject } });
        },
        emitAll: async (events) => {
          if (events.length === 0) return;
          emitted = true;
          // Raw: Prisma's createMany spends about a millisecond per row on these, too much for the delivery worker.
          const rows = events.map((event) => ({ ...event, id: uuid7(), createdAt: new Date() }));
          await tx.$executeRaw`
            INSERT INTO outbox_events (id, tenant_id, type, data, created_at)
            SELECT id, "tenantId", type, data, "createdAt"
              FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                   AS e(id text, "tenantId" text, type text, data jsonb, "createdAt" timestamp(3))`;
        },
      }),
    );
    if (emitted) this.onCommitted();
    return result;
  }

  /** For events inserted by one statement of their own, outside `transaction`: they are committed, dispatch them. */
  announceCommitted(): void {
    this.onCommitted();
  }
}
