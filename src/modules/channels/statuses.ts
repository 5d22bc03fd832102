import type { ChannelMessageStatus, ChannelSession, Prisma } from '../../generated/prisma/client.ts';
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

/**
 * Applies WhatsApp delivery reports to the session's outbound messages, by the provider's
 * message id, in the caller's transaction; resolves with how many messages changed. Reports
 * about messages we do not know are ignored.
 */
export async function applyStatuses(tx: Prisma.TransactionClient, session: Pick<ChannelSession, 'id'>, updates: StatusUpdate[]): Promise<number> {
  let changed = 0;
  for (const update of updates) {
    if (update.status === 'SENT') continue;
    const { count } = await tx.channelMessage.updateMany({
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
