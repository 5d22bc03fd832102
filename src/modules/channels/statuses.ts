import type { ChannelMessageStatus, ChannelSession, PrismaClient } from '../../generated/prisma/client.ts';
import type { StatusUpdate } from './normalize/index.ts';

/**
 * From which statuses each report may move an outbound message. Reports arrive out of order
 * (a `read` may overtake its `delivered`), so a message only ever moves forward:
 * SENT → DELIVERED → READ, and FAILED only before it was delivered. `sent` changes nothing.
 */
const MOVES_FROM: Record<Exclude<StatusUpdate['status'], 'SENT'>, ChannelMessageStatus[]> = {
  DELIVERED: ['SENT'],
  READ: ['SENT', 'DELIVERED'],
  FAILED: ['SENT'],
};

/** Applies WhatsApp delivery reports to the session's outbound messages, by the provider's message id. */
export class MessageStatuses {
  constructor(private readonly prisma: PrismaClient) {}

  /** Resolves with how many messages changed; reports about messages we do not know are ignored. */
  async apply(session: Pick<ChannelSession, 'id'>, updates: StatusUpdate[]): Promise<number> {
    let changed = 0;
    for (const update of updates) {
      if (update.status === 'SENT') continue;
      const { count } = await this.prisma.channelMessage.updateMany({
        where: {
          sessionId: session.id,
          providerMessageId: update.providerMessageId,
          direction: 'OUTBOUND',
          status: { in: MOVES_FROM[update.status] },
        },
        data: { status: update.status, ...(update.status === 'FAILED' ? { error: update.error } : {}) },
      });
      changed += count;
    }
    return changed;
  }
}
