import { createHash } from 'node:crypto';
import type { Job } from '../../events/consumers.ts';
import { enqueueJob } from '../../events/job-claims.ts';
import type { ChannelSession, PrismaClient } from '../../generated/prisma/client.ts';
import type { UnitOfWork } from '../events.ts';
import type { Inbox } from './inbox.ts';
import { normalizers, type NormalizedPayload, type WebhookChannel } from './normalize/index.ts';
import { verifyHubSignature, secretsEqual } from './signature.ts';
import { applyStatuses } from './statuses.ts';

/** The consumer that stores what accepted payloads say; its jobs are the payloads. */
export const INBOUND_PAYLOAD_CONSUMER = 'channels.inbound-payload';

/** A payload as accepted, waiting to be processed. */
export type InboundPayload = { sessionId: string; body: unknown };

/** A session whose provider calls our webhook URL. */
export type WebhookSession = ChannelSession & { channel: WebhookChannel };

/** Tells the sessions service that the provider verified a session's callback URL. */
export type SessionVerified = (session: ChannelSession) => Promise<void>;

/** What accepting a payload did: how much it holds, and whether it was new (not a redelivery). */
export type Accepted = { messages: number; statuses: number; stored: boolean };

/**
 * What the providers' webhook calls do, without HTTP: find the session they are for, check the
 * handshake and signatures, and accept payloads. Accepting checks the shape and stores the raw
 * payload with one insert, keyed by the provider's ids in it, so that the provider gets its
 * answer at once and a redelivery is stored once; `process` (a consumer) stores what payloads
 * say, one session's payloads in the order they came.
 */
export class ChannelWebhookIntake {
  private onVerified: SessionVerified | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly inbox: Pick<Inbox, 'receiveIn'>,
    /** Called once a payload is stored, to process it now rather than at the next poll. */
    private readonly onAccepted: () => void,
  ) {}

  /** Registers what happens once a session's verify handshake succeeded (the sessions service marks it connected). */
  whenVerified(onVerified: SessionVerified): void {
    this.onVerified = onVerified;
  }

  /** The session the URL names, when it exists and is of that channel; null otherwise (say nothing more). */
  async session(channel: WebhookChannel, sessionId: string): Promise<WebhookSession | null> {
    const session = await this.prisma.channelSession.findUnique({ where: { id: sessionId } });
    return session?.channel === channel ? (session as WebhookSession) : null;
  }

  /**
   * The subscription handshake: true when `hub.mode` is `subscribe` and the token is the session's
   * verify token (compared in constant time), after which the session counts as verified.
   */
  async verify(session: ChannelSession, mode: string | null, token: string | null): Promise<boolean> {
    if (mode !== 'subscribe' || !token || !session.verifyToken || !secretsEqual(token, session.verifyToken)) return false;
    await this.onVerified?.(session);
    return true;
  }

  /** Whether the raw body carries the session's app-secret signature. */
  isSigned(session: ChannelSession, rawBody: Uint8Array, signature: string | string[] | undefined): boolean {
    return verifyHubSignature(session.appSecret, rawBody, signature);
  }

  /** Checks a parsed body's shape (throws PayloadError when it is not the channel's) and stores it to be processed. */
  async accept(session: WebhookSession, body: unknown): Promise<Accepted> {
    const normalized = normalizers[session.channel](body, session);
    const { messages, statuses } = normalized;
    if (messages.length === 0 && statuses.length === 0) return { messages: 0, statuses: 0, stored: false };
    const payload: InboundPayload = { sessionId: session.id, body };
    const stored = await enqueueJob(this.prisma, {
      consumer: INBOUND_PAYLOAD_CONSUMER,
      tenantId: session.tenantId,
      key: `${session.id}:${idsDigest(normalized)}`,
      orderingKey: session.id,
      payload,
    });
    if (stored) this.onAccepted();
    return { messages: messages.length, statuses: statuses.length, stored };
  }

  /** Stores the messages and statuses of accepted payloads, in order, in the consumer's transaction. */
  async process(unit: UnitOfWork, jobs: Job<InboundPayload>[]): Promise<void> {
    const sessions = new Map<string, ChannelSession | null>();
    for (const { payload } of jobs) {
      if (!sessions.has(payload.sessionId)) {
        sessions.set(payload.sessionId, await unit.tx.channelSession.findUnique({ where: { id: payload.sessionId } }));
      }
      const session = sessions.get(payload.sessionId);
      // A session deleted since has nothing left to store into.
      if (!session || session.channel === 'WEBSITE') continue;
      const { messages, statuses } = normalizers[session.channel](payload.body, session);
      await this.inbox.receiveIn(unit, session, messages);
      await applyStatuses(unit.tx, session, statuses);
    }
  }
}

/** The provider's ids of what a payload holds (with each report's status, as one message has several): a redelivery has the same. */
function idsDigest({ messages, statuses }: NormalizedPayload): string {
  const ids = [...messages.map((message) => `m:${message.providerMessageId}`), ...statuses.map((status) => `s:${status.providerMessageId}:${status.status}`)];
  return createHash('sha256').update(ids.sort().join('\n')).digest('base64url');
}
