import { createHash } from 'node:crypto';
import { RecentCredentials } from '../../auth/recent-credentials.ts';
import type { Job } from '../../events/consumers.ts';
import type { BatchedEnqueue } from '../../events/batched-enqueue.ts';
import type { ChannelSession, PrismaClient } from '../../generated/prisma/client.ts';
import type { Outbox, UnitOfWork } from '../events.ts';
import type { Inbox } from './inbox.ts';
import type { Logger } from '../../logger.ts';
import type { InboundMessage } from './contracts.ts';
import { normalizers, PayloadError, type NormalizedPayload, type WebhookChannel } from './normalize/index.ts';
import { verifyHubSignature, secretsEqual, type HubSignatures } from './signature.ts';
import { applyStatuses } from './statuses.ts';

/**
 * How long a session looked up for a provider's call serves the next calls: a busy number sends
 * many a second, each a query otherwise. A change to the session (its app secret, its deletion)
 * applies to calls this much later at the most; payloads are processed with the session as it is then.
 */
const SESSION_REUSE_MS = 1_000;
/** Sessions kept for reuse at the most; past it, the oldest go. */
const SESSIONS_KEPT = 10_000;

/** The consumer that stores what accepted payloads say; its jobs are the payloads. */
export const INBOUND_PAYLOAD_CONSUMER = 'channels.inbound-payload';

/**
 * A payload as accepted, waiting to be processed: the messages of one contact in it, or its
 * delivery reports. One contact's messages are processed in the order they came; different
 * contacts' at once, and reports in any order (a status only ever moves forward).
 */
export type InboundPayload = { sessionId: string; body: unknown; part: { contact: string } | { statuses: true } };

/** A session whose provider calls our webhook URL. */
export type WebhookSession = ChannelSession & { channel: WebhookChannel };

/** What accepting a payload did: how much it holds, and whether any of it was new (not a redelivery). */
export type Accepted = { messages: number; statuses: number; stored: boolean };

/**
 * What the providers' webhook calls do, without HTTP: find the session they are for, check the
 * handshake and signatures, and accept payloads. Accepting checks the shape and stores the raw
 * payload with one insert (shared with the requests arriving meanwhile), a job per contact
 * writing in it (and one for its delivery reports), keyed by the provider's ids, so that the
 * provider gets its answer at once and a redelivery is stored once; `process` (a consumer)
 * stores what they say, one contact's in the order they came.
 */
export class ChannelWebhookIntake {
  private readonly recentSessions = new RecentCredentials<ChannelSession>(SESSIONS_KEPT, SESSION_REUSE_MS);

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      /** Stores accepted payloads' jobs, sharing a statement with the requests arriving meanwhile. */
      jobs: BatchedEnqueue;
      inbox: Pick<Inbox, 'receiveIn'>;
      outbox: Outbox;
      /** Called once a payload is stored, to process it now rather than at the next poll. */
      onAccepted: () => void;
      logger: Logger;
    },
  ) {}

  /**
   * The session the URL names, when it exists and is of that channel; null otherwise (say nothing
   * more). `reuse`: one looked up in the last second will do (for payloads, not for the handshake).
   */
  async session(channel: WebhookChannel, sessionId: string, { reuse = false } = {}): Promise<WebhookSession | null> {
    const session = (reuse ? this.recentSessions.get(sessionId) : undefined) ?? (await this.lookUp(sessionId));
    return session?.channel === channel ? (session as WebhookSession) : null;
  }

  private async lookUp(sessionId: string): Promise<ChannelSession | null> {
    const session = await this.deps.prisma.channelSession.findUnique({ where: { id: sessionId } });
    if (session) this.recentSessions.set(sessionId, session);
    return session;
  }

  /**
   * The subscription handshake: true when the token is the session's verify token (compared in
   * constant time) and `hub.mode` is `subscribe`, or absent: Meta always sends it, but the
   * verification examples of systems our users come from leave it out, and the token alone is
   * the secret. Then `session.verified` is committed (a consumer connects the session) before
   * the provider is answered.
   */
  async verify(session: ChannelSession, mode: string | null, token: string | null): Promise<boolean> {
    if ((mode !== null && mode !== 'subscribe') || !token || !session.verifyToken || !secretsEqual(token, session.verifyToken)) return false;
    await this.deps.outbox.transaction((unit) => unit.emit(session.tenantId, 'session.verified', { sessionId: session.id }));
    return true;
  }

  /** Whether the raw body carries the session's app-secret signature. */
  isSigned(session: ChannelSession, rawBody: Uint8Array, signatures: HubSignatures): boolean {
    return verifyHubSignature(session.appSecret, rawBody, signatures, { acceptSha1: session.channel === 'MESSENGER' });
  }

  /**
   * Checks a body's shape (throws PayloadError when it is not the channel's) and stores it to be
   * processed; the body as `parseProviderJson` reads it.
   */
  async accept(session: WebhookSession, body: unknown): Promise<Accepted> {
    const { messages, statuses } = normalizers[session.channel](body, session);
    const contacts = new Map<string, string[]>();
    for (const message of messages) contacts.set(message.from.externalId, [...(contacts.get(message.from.externalId) ?? []), `m:${message.providerMessageId}`]);
    const job = (part: InboundPayload['part'], ids: string[], orderingKey: string | null) => ({
      consumer: INBOUND_PAYLOAD_CONSUMER,
      tenantId: session.tenantId,
      key: `${session.id}:${digest(ids)}`,
      orderingKey,
      payload: { sessionId: session.id, body, part } satisfies InboundPayload,
    });
    const jobs = [...contacts].map(([contact, ids]) => job({ contact }, ids, `${session.id}:${contact}`));
    if (statuses.length) jobs.push(job({ statuses: true }, statuses.map((status) => `s:${status.providerMessageId}:${status.status}`), null));
    const stored = (await this.deps.jobs.enqueue(jobs)).length > 0;
    if (stored) this.deps.onAccepted();
    return { messages: messages.length, statuses: statuses.length, stored };
  }

  /**
   * Stores what accepted payloads say in the consumer's transaction: each session's messages
   * together, in the order they came, and the delivery reports. A payload the session no longer
   * takes (its account changed since) is left out: retrying it would change nothing.
   */
  async process(unit: UnitOfWork, jobs: Job<InboundPayload>[]): Promise<void> {
    const sessions = new Map<string, { session: ChannelSession; messages: InboundMessage[] } | null>();
    for (const { id, payload } of jobs) {
      if (!sessions.has(payload.sessionId)) {
        const session = await unit.tx.channelSession.findUnique({ where: { id: payload.sessionId } });
        // A session deleted since has nothing left to store into.
        sessions.set(payload.sessionId, session && session.channel !== 'WEBSITE' ? { session, messages: [] } : null);
      }
      const target = sessions.get(payload.sessionId);
      if (!target) continue;
      let normalized: NormalizedPayload;
      try {
        normalized = normalizers[target.session.channel as WebhookChannel](payload.body, target.session);
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        this.deps.logger.warn({ err: error, jobId: id, sessionId: payload.sessionId }, 'an accepted payload no longer fits its session; left out');
        continue;
      }
      const { part } = payload;
      if ('statuses' in part) await applyStatuses(unit.tx, target.session, normalized.statuses);
      else target.messages.push(...normalized.messages.filter((message) => message.from.externalId === part.contact));
    }
    for (const target of sessions.values()) if (target) await this.deps.inbox.receiveIn(unit, target.session, target.messages);
  }
}

/** The provider's ids of what a job holds (with each report's status, as one message has several): a redelivery has the same. */
function digest(ids: string[]): string {
  return createHash('sha256').update(ids.sort().join('\n')).digest('base64url');
}
