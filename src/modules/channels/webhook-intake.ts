import type { ChannelSession, PrismaClient } from '../../generated/prisma/client.ts';
import type { Received } from './contracts.ts';
import type { Inbox } from './inbox.ts';
import { normalizers, type WebhookChannel } from './normalize/index.ts';
import { verifyHubSignature, secretsEqual } from './signature.ts';
import type { MessageStatuses } from './statuses.ts';

/** A session whose provider calls our webhook URL. */
export type WebhookSession = ChannelSession & { channel: WebhookChannel };

/** Tells the sessions service that the provider verified a session's callback URL. */
export type SessionVerified = (session: ChannelSession) => Promise<void>;

/**
 * What the providers' webhook calls do, without HTTP: find the session they are for, check
 * the handshake and signatures, and store what a payload says.
 */
export class ChannelWebhookIntake {
  private onVerified: SessionVerified | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly inbox: Pick<Inbox, 'receive'>,
    private readonly statuses: Pick<MessageStatuses, 'apply'>,
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

  /** Normalises a parsed body (throws PayloadError when it is not the channel's shape) and stores it. */
  async ingest(session: WebhookSession, body: unknown): Promise<Received[]> {
    const { messages, statuses } = normalizers[session.channel](body, session);
    const received = await this.inbox.receive(session, messages);
    await this.statuses.apply(session, statuses);
    return received;
  }
}
