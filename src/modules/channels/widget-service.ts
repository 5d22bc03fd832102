import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { AttemptCounter } from '../../auth/rate-limiter.ts';
import { conflict, forbidden, rateLimited, teamSuspended, unauthenticated } from '../../errors.ts';
import type { ChannelMessage, ChannelSession, PrismaClient } from '../../generated/prisma/client.ts';
import { displayName, email, parseInput, withoutNul } from '../../validation.ts';
import { filter, map, pipe } from 'graphql-yoga';
import { onEnd } from '../../pubsub/on-end.ts';
import type { PubSub } from '../../pubsub/pubsub.ts';
import { domainEvents } from '../events.ts';
import type { Inbox } from './inbox.ts';
import { fromChannelMessageJson } from './messages.ts';
import { isLocalOrigin } from './sessions/input.ts';
import { secretsEqual } from './signature.ts';

/** How long posting a message waits for its auto-reply, to answer with it. */
const REPLY_WAIT_MS = 2_000;
/** The most `visitorReplies` streams one address holds open on one instance. */
const MAX_STREAMS_PER_ADDRESS = 10;
/** The most messages one answer carries. */
const PAGE_SIZE = 100;
const UNKNOWN_SESSION = 'Unknown website session or publishable key';

const token = (what: string) => z.string().regex(/^[A-Za-z0-9_-]{8,100}$/, `${what} must be 8 to 100 letters, digits, _ or -`);
const access = z.object({
  sessionId: z.string().max(100),
  publishableKey: z.string().max(200),
  visitorId: token('visitorId'),
});
const messageInput = access.extend({
  text: withoutNul(z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters')),
  clientMessageId: token('clientMessageId').nullish(),
  name: displayName(200).nullish(),
  email: email.nullish(),
});
const pollInput = access.extend({ after: z.string().max(100).nullish() });

export type VisitorMessageInput = z.input<typeof messageInput>;
export type VisitorMessagesInput = z.input<typeof pollInput>;
/** What the browser's request says about itself. */
export type WidgetRequest = { origin: string | null; ip: string | null };
export type VisitorRepliesInput = z.input<typeof access>;
export type VisitorMessageResult = { conversationId: string; message: ChannelMessage; replies: ChannelMessage[] };

/**
 * The website chat widget's public side. A visitor's browser names the session, its publishable
 * key and the visitor's own opaque id; the request must come from one of the session's allowed
 * origins. Messages go through the Inbox like any provider's, so events, leads and auto-replies
 * follow; a visitor only ever reads their own conversation.
 */
export class WidgetService {
  private readonly openStreams = new Map<string, number>();

  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      inbox: Pick<Inbox, 'receive'>;
      /** Resolves once the auto-reply to a message is done on this instance, or after `waitMs` (it may still come later). */
      awaitAutoReply: (messageId: string, waitMs: number) => Promise<unknown>;
      /** Counts messages per visitor and per address in one-minute windows. */
      limiter: AttemptCounter;
      messagesPerMinute: number;
      /** Teams an operator suspended: their widgets are refused like their other credentials. */
      suspendedTeams: { has(tenantId: string): boolean };
      pubsub: PubSub;
      /**
       * This server's origin (PUBLIC_URL's): the widget page it hosts calls from there, and only
       * the session's allowed origins may frame that page (see http/widget/page.ts).
       */
      ownOrigin: string;
      /** Whether http://localhost origins count: outside production only, for local development. */
      allowLocalOrigins: boolean;
    },
  ) {}

  /** The origins that may use (and frame) the session's widget: its allowed origins, less plain-http ones in production. */
  allowedOrigins(session: Pick<ChannelSession, 'allowedOrigins'>): string[] {
    return this.deps.allowLocalOrigins ? session.allowedOrigins : session.allowedOrigins.filter((origin) => !isLocalOrigin(origin));
  }

  /**
   * The WEBSITE session whose widget page a browser asks for, or null when the session or key is
   * unknown (alike); whatever its status, since the page says when the chat is closed.
   */
  async hostedSession(sessionId: string, publishableKey: string): Promise<ChannelSession | null> {
    const session = await this.deps.prisma.channelSession.findUnique({ where: { id: sessionId } });
    const expected = session?.channel === 'WEBSITE' ? session.publishableKey : null;
    // Compared even when there is nothing to compare with, so the time says nothing either.
    const matches = secretsEqual(publishableKey, expected ?? '') && !!expected;
    return session && matches ? session : null;
  }

  /**
   * The replies to the visitor, live, as they are stored: outbound messages of their own
   * conversations, those that failed to go out left out. Checked as `messages` is, once.
   */
  async replies(input: VisitorRepliesInput, request: WidgetRequest): Promise<AsyncIterable<ChannelMessage>> {
    const parsed = parseInput(access, input);
    const session = await this.admit(parsed, request);
    const prisma = this.deps.prisma;
    const visitors = new Map<string, Promise<boolean>>();
    const isVisitors = (conversationId: string) => {
      let known = visitors.get(conversationId);
      if (!known) {
        const where = { id: conversationId, sessionId: session.id, contact: { externalId: parsed.visitorId } };
        known = prisma.channelConversation.count({ where }).then((count) => count > 0);
        visitors.set(conversationId, known);
      }
      return known;
    };
    const address = request.ip ?? 'unknown';
    if ((this.openStreams.get(address) ?? 0) >= MAX_STREAMS_PER_ADDRESS) throw rateLimited(60);
    const openStreams = this.openStreams;
    openStreams.set(address, (openStreams.get(address) ?? 0) + 1);
    const replies = pipe(
      domainEvents(this.deps.pubsub, session.tenantId, 'message.sent'),
      filter(({ data }) => data.sessionId === session.id && data.status !== 'FAILED' && isVisitors(data.conversationId)),
      map(({ data }) => fromChannelMessageJson(data, session.tenantId)),
    );
    return onEnd(replies, () => {
      const left = (openStreams.get(address) ?? 1) - 1;
      if (left > 0) openStreams.set(address, left);
      else openStreams.delete(address);
    });
  }

  /**
   * Stores a visitor's message. A retry with the same `clientMessageId` stores nothing and
   * answers the first one. `replies` are the replies stored by the time it answers.
   */
  async postMessage(input: VisitorMessageInput, request: WidgetRequest): Promise<VisitorMessageResult> {
    const parsed = parseInput(messageInput, input);
    const { visitorId, clientMessageId, text, name, email } = parsed;
    const session = await this.admit(parsed, request);
    await this.limit(session.id, visitorId, request.ip);
    // Scoped by the visitor: another visitor's id can never name (and so read) this message.
    const providerMessageId = `${visitorId}:${clientMessageId ?? randomUUID()}`;
    const from = { externalId: visitorId, name, email };
    const [received] = await this.deps.inbox.receive(session, [{ providerMessageId, from, text, occurredAt: new Date() }]);
    const message =
      received?.message ??
      (await this.deps.prisma.channelMessage.findUniqueOrThrow({
        where: { sessionId_providerMessageId: { sessionId: session.id, providerMessageId } },
      }));
    if (received?.message && session.autoReplyMode !== 'OFF') await this.deps.awaitAutoReply(message.id, REPLY_WAIT_MS);
    const replies = await this.deps.prisma.channelMessage.findMany({
      where: { conversationId: message.conversationId, direction: 'OUTBOUND', status: { not: 'FAILED' }, id: { gt: message.id } },
      orderBy: { id: 'asc' },
      take: PAGE_SIZE,
    });
    return { conversationId: message.conversationId, message, replies };
  }

  /**
   * The visitor's messages and the replies to them, oldest first: those after the message
   * `after` when given, else the latest. Messages that failed to go out are left out.
   */
  async messages(input: VisitorMessagesInput, request: WidgetRequest): Promise<ChannelMessage[]> {
    const parsed = parseInput(pollInput, input);
    const { visitorId, after } = parsed;
    const session = await this.admit(parsed, request);
    const where = {
      sessionId: session.id,
      conversation: { contact: { sessionId: session.id, externalId: visitorId } },
      status: { not: 'FAILED' as const },
    };
    if (after) {
      return this.deps.prisma.channelMessage.findMany({ where: { ...where, id: { gt: after } }, orderBy: { id: 'asc' }, take: PAGE_SIZE });
    }
    const latest = await this.deps.prisma.channelMessage.findMany({ where, orderBy: { id: 'desc' }, take: PAGE_SIZE });
    return latest.reverse();
  }

  /**
   * The CONNECTED WEBSITE session the key opens, asked for by an allowed origin. An unknown session, another
   * channel's session and a wrong key answer alike, so the answer tells nothing about which it was.
   */
  private async admit(input: { sessionId: string; publishableKey: string }, request: WidgetRequest): Promise<ChannelSession> {
    const session = await this.hostedSession(input.sessionId, input.publishableKey);
    if (!session) throw unauthenticated(UNKNOWN_SESSION);
    if (this.deps.suspendedTeams.has(session.tenantId)) throw teamSuspended();
    const fromOwnPage = request.origin === this.deps.ownOrigin;
    if (!fromOwnPage && (!request.origin || !isAllowedOrigin(this.allowedOrigins(session), request.origin))) {
      throw forbidden('This website is not one of the origins allowed to use this widget');
    }
    if (session.status !== 'CONNECTED') throw conflict('sessionId', `The chat is closed: its session is ${session.status}`);
    return session;
  }

  /** Counts the message for the visitor and for the address; either over the limit refuses it. */
  private async limit(sessionId: string, visitorId: string, ip: string | null): Promise<void> {
    const { limiter, messagesPerMinute } = this.deps;
    const counts = await Promise.all([
      limiter.attempt(`widget:${sessionId}:visitor:${visitorId}`, 60),
      limiter.attempt(`widget:${sessionId}:ip:${ip ?? 'unknown'}`, 60),
    ]);
    const over = counts.filter((count) => count.attempts > messagesPerMinute);
    if (over.length) throw rateLimited(Math.max(1, ...over.map((count) => count.resetInSeconds)));
  }
}

/** Exact match of scheme://host[:port], in the form browsers send it (`URL.origin`). */
function isAllowedOrigin(allowed: string[], origin: string): boolean {
  return originOf(origin) === origin && allowed.some((entry) => originOf(entry) === origin);
}

function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}
