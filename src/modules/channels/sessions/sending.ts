import type { Viewer } from '../../../auth/viewer.ts';
import type { Outbox } from '../../events.ts';
import { AppError, badInput, conflict } from '../../../errors.ts';
import type { ChannelMessage, ChannelSession, PrismaClient } from '../../../generated/prisma/client.ts';
import { parseInput } from '../../../validation.ts';
import type { ChannelSender } from '../contracts.ts';
import { openConversation, recordOutbound, type OutboundRecord } from '../ledger.ts';
import { channelNames, ProviderError } from '../provider-client.ts';
import { recipientFor, sendSessionMessageInput, type SendSessionMessageInput } from './input.ts';
import { assertSessionAdmin, reachableSession } from './session-keys.ts';

/**
 * Messages the team writes to a contact through a session. Provider sessions send through the
 * Graph API first and store the outcome; the website stores the message for the widget to show.
 */
export class SessionMessagesService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly sender: ChannelSender,
  ) {}

  /**
   * Sends `text` to `to` through a CONNECTED session (CONFLICT otherwise) and stores it in the
   * contact's open conversation with `message.sent`. When the provider refuses or cannot be
   * reached, the message is stored as FAILED with the provider's reason and the answer is CONFLICT.
   */
  async send(viewer: Viewer, input: SendSessionMessageInput): Promise<ChannelMessage> {
    assertSessionAdmin(viewer, 'send session messages');
    const parsed = parseInput(sendSessionMessageInput, input);
    const session = await this.prisma.channelSession.findFirst({ where: reachableSession(viewer, parsed.sessionId) });
    if (!session) throw new AppError('NOT_FOUND', 'Session not found', { field: 'sessionId' });
    if (session.status !== 'CONNECTED') {
      throw conflict('sessionId', `The session is ${session.status}: connect it with connectSession before sending`);
    }
    const to = recipientFor(session.channel, parsed.to);
    if (session.channel === 'WEBSITE') return this.toVisitor(session, to, parsed.text);
    let outcome: OutboundRecord;
    try {
      const { providerMessageId } = await this.sender.send(session, to, parsed.text);
      outcome = { text: parsed.text, providerMessageId, status: 'SENT' };
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      outcome = { text: parsed.text, providerMessageId: null, status: 'FAILED', error: error.message };
    }
    const message = await this.store(session, to, outcome);
    if (message.status === 'FAILED') {
      const name = channelNames[session.channel];
      throw new AppError('CONFLICT', `${name} did not take the message (stored as FAILED, id ${message.id}): ${message.error}`);
    }
    return message;
  }

  /** A widget visitor has no provider behind them: the message is SENT once stored, and their widget shows it. */
  private async toVisitor(session: ChannelSession, visitorId: string, text: string): Promise<ChannelMessage> {
    const where = { sessionId_externalId: { sessionId: session.id, externalId: visitorId } };
    const known = await this.prisma.channelContact.findUnique({ where, select: { id: true } });
    if (!known) throw badInput('to', 'to: no visitor with this id has written to the session');
    return this.store(session, visitorId, { text, providerMessageId: null, status: 'SENT' });
  }

  private store(session: ChannelSession, to: string, record: OutboundRecord): Promise<ChannelMessage> {
    const phone = session.channel === 'WHATSAPP' ? `+${to}` : null;
    return this.outbox.transaction(async (unit) => {
      const { conversation } = await openConversation(unit, session, { externalId: to, phone });
      return recordOutbound(unit, session, conversation, record);
    });
  }
}
