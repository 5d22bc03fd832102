import type { Prisma, PrismaClient } from '../generated/prisma/client.ts';
import type { EventType } from './catalogue.ts';

export type Emit = (tenantId: string, type: EventType, data: Prisma.InputJsonObject) => Promise<void>;

/** A transaction in which state changes and the events describing them commit together. */
export type UnitOfWork = { tx: Prisma.TransactionClient; emit: Emit };

/**
 * The write side of the transactional outbox. Services change state and emit events inside
 * `transaction`; after the commit the dispatcher is woken, and other instances find the events
 * on their next poll, so nothing depends on this process living past the commit.
 */
export class Outbox {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly onCommitted: () => void,
  ) {}

  async transaction<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    let emitted = false;
    const result = await this.prisma.$transaction(async (tx) =>
      work({
        tx,
        emit: async (tenantId, type, data) => {
          emitted = true;
          await tx.outboxEvent.create({ data: { tenantId, type, data } });
        },
      }),
    );
    if (emitted) this.onCommitted();
    return result;
  }

  /** Emits one event that goes with no other change. */
  emit(tenantId: string, type: EventType, data: Prisma.InputJsonObject): Promise<void> {
    return this.transaction(({ emit }) => emit(tenantId, type, data));
  }
}
