import { filter, map, pipe } from 'graphql-yoga';
import type { Revocations } from '../../../auth/revocations.ts';
import { generateSecret } from '../../../auth/secrets.ts';
import { actorOf, boundSessionOf, type Viewer } from '../../../auth/viewer.ts';
import { lockOwnedRow } from '../../../db/row-locks.ts';
import { domainEvents, type Outbox, type UnitOfWork } from '../../events.ts';
import { AppError, badInput, conflict, notFound } from '../../../errors.ts';
import type { ChannelSession, Prisma, PrismaClient } from '../../../generated/prisma/client.ts';
import type { PubSub } from '../../../pubsub/pubsub.ts';
import { parseInput } from '../../../validation.ts';
import type { AuditEventType } from '../../audit/messages.ts';
import type { AuditService } from '../../audit/service.ts';
import { channelNames, ProviderError, type GraphApiClient } from '../provider-client.ts';
import type { ValidEndpoint, WebhookEndpointsService } from '../../webhooks/endpoints-service.ts';
import {
  assertFieldsFit,
  changesOf,
  isLocalOrigin,
  createSessionInput,
  updateSessionInput,
  type CreateSessionInput,
  type UpdateSessionInput,
} from './input.ts';
import { toSessionJson, type SessionJson } from './messages.ts';
import { qrCodeOf } from './qr.ts';
import { assertNotSessionKey, assertSessionAdmin, createSessionKey, reachableSession, sessionScope } from './session-keys.ts';
import { SessionStatuses, SYSTEM_ACTOR } from './status.ts';
import type { TeamLimits } from '../../tenants/team-limits.ts';

export const PUBLISHABLE_KEY_PREFIX = 'pk_';

export type SessionsDependencies = {
  prisma: PrismaClient;
  pubsub: PubSub;
  outbox: Outbox;
  audit: AuditService;
  revocations: Revocations;
  webhookEndpoints: WebhookEndpointsService;
  graphApi: Pick<GraphApiClient, 'verify'>;
  publicUrl: string;
  teamLimits: TeamLimits;
  /** Whether website sessions may allow http://localhost origins: outside production only, for local development. */
  allowLocalOrigins: boolean;
};

/**
 * Channel sessions of a tenant: members read them, admins (and a session's own API key, for that
 * session only) change them. Provider secrets go in and never come out: see `SessionJson`.
 */
export class SessionsService {
  private readonly statuses: SessionStatuses;

  constructor(private readonly deps: SessionsDependencies) {
    this.statuses = new SessionStatuses(deps.audit, deps.publicUrl);
  }

  /** Oldest first; a session API key sees only its own session. */
  async list(viewer: Viewer): Promise<SessionJson[]> {
    const sessions = await this.deps.prisma.channelSession.findMany({ where: sessionScope(viewer), orderBy: { id: 'asc' } });
    return sessions.map((session) => this.json(session));
  }

  async get(viewer: Viewer, id: string): Promise<SessionJson> {
    return this.json(await this.find(viewer, id));
  }

  /** The session's QR code as a PNG data URI (see `qrLinkOf`), or null. */
  qrCode(session: SessionJson): Promise<string | null> {
    return qrCodeOf(session, this.deps.publicUrl);
  }

  /**
   * Creates a PENDING session with its own API key and, when `webhook` is given, a webhook
   * endpoint bound to it; the key and the endpoint's secret are in the answer and nowhere else.
   * At most the team's limit of channel sessions (TeamLimits), counted under a lock on the team.
   */
  async create(viewer: Viewer, input: CreateSessionInput) {
    assertSessionAdmin(viewer, 'create sessions');
    assertNotSessionKey(viewer, 'create sessions');
    const parsed = parseInput(createSessionInput, input);
    const webhook = parsed.webhook ? await this.validWebhook(parsed.webhook) : null;
    const { tenantId } = viewer;
    return this.deps.outbox.transaction(async (unit) => {
      const { tx } = unit;
      await this.deps.teamLimits.reserve(tx, tenantId, 'channelSessions', () => tx.channelSession.count({ where: { tenantId } }));
      const publishableKey = parsed.channel === 'WEBSITE' ? generateSecret(PUBLISHABLE_KEY_PREFIX) : null;
      const session = await tx.channelSession.create({ data: { tenantId, name: parsed.name, channel: parsed.channel, publishableKey } });
      const { key, apiKey } = await createSessionKey(tx, viewer, session);
      const created = webhook ? await this.deps.webhookEndpoints.createInUnit(tenantId, { ...webhook, sessionId: session.id }, unit) : null;
      const data = { apiKeyId: apiKey.id, webhookEndpointId: created?.endpoint.id ?? null };
      await this.record(unit, viewer, 'SESSION_CREATED', session, data);
      return { session: this.json(session), apiKey: key, webhook: created };
    });
  }

  /**
   * Changes what the input names; null clears an optional setting. New provider credentials (or,
   * for the website, no allowed origins left) take a CONNECTED session back to PENDING until
   * `connect` checks them again.
   */
  async update(viewer: Viewer, id: string, input: UpdateSessionInput): Promise<SessionJson> {
    assertSessionAdmin(viewer, 'change sessions');
    const parsed = parseInput(updateSessionInput, input);
    if (!this.deps.allowLocalOrigins && parsed.allowedOrigins?.some(isLocalOrigin)) {
      throw badInput('allowedOrigins', 'allowedOrigins: http://localhost origins are for local development, refused with NODE_ENV=production');
    }
    return this.deps.outbox.transaction(async (unit) => {
      const current = await this.lockReachable(unit.tx, viewer, id);
      assertFieldsFit(current.channel, parsed);
      const agentId = parsed.autoReply?.agentId;
      if (agentId && !(await unit.tx.agent.findFirst({ where: { id: agentId, tenantId: viewer.tenantId }, select: { id: true } }))) {
        throw badInput('autoReply.agentId', 'autoReply.agentId: your team has no agent with this id');
      }
      const { data, fields } = changesOf(parsed);
      if (fields.length === 0) return this.json(current);
      let session = await unit.tx.channelSession.update({ where: { id }, data });
      const credentialsChanged = session.phoneNumberId !== current.phoneNumberId || session.accessToken !== current.accessToken;
      const originsGone = session.channel === 'WEBSITE' && session.allowedOrigins.length === 0;
      if (current.status === 'CONNECTED' && (credentialsChanged || originsGone)) {
        session = await this.statuses.change(unit, session, 'PENDING', actorOf(viewer));
      }
      await this.record(unit, viewer, 'SESSION_UPDATED', session, { fields });
      return this.json(session);
    });
  }

  /** Deletes the session with its keys (whose open sockets close), bound endpoints and messages; answers its id. */
  async delete(viewer: Viewer, id: string): Promise<string> {
    assertSessionAdmin(viewer, 'delete sessions');
    const keyIds = await this.deps.outbox.transaction(async (unit) => {
      const session = await this.lockReachable(unit.tx, viewer, id);
      const keys = await unit.tx.apiKey.findMany({ where: { sessionId: id }, select: { id: true } });
      await unit.tx.channelSession.delete({ where: { id } });
      await this.record(unit, viewer, 'SESSION_DELETED', session);
      return keys.map((key) => key.id);
    });
    await Promise.all(keyIds.map((apiKeyId) => this.deps.revocations.announce({ tenantId: viewer.tenantId, apiKeyId, effect: 'revoked' })));
    return id;
  }

  /**
   * Checks the session and makes it CONNECTED: a provider session's id and access token against
   * the Graph API (a refusal leaves it as it was, with CONFLICT), a website session by having
   * allowed origins.
   */
  async connect(viewer: Viewer, id: string): Promise<SessionJson> {
    assertSessionAdmin(viewer, 'connect sessions');
    const checked = await this.find(viewer, id);
    await this.check(checked);
    return this.deps.outbox.transaction(async (unit) => {
      const current = await this.lockReachable(unit.tx, viewer, id);
      const checkedPart = (session: ChannelSession) => JSON.stringify([session.phoneNumberId, session.accessToken, session.allowedOrigins]);
      if (checkedPart(current) !== checkedPart(checked)) {
        throw new AppError('CONFLICT', 'The session changed while it was being checked; connect it again');
      }
      return this.json(await this.statuses.change(unit, current, 'CONNECTED', actorOf(viewer)));
    });
  }

  /** Makes the session DISCONNECTED until `connect`; a disconnected session sends nothing. */
  disconnect(viewer: Viewer, id: string): Promise<SessionJson> {
    assertSessionAdmin(viewer, 'disconnect sessions');
    return this.deps.outbox.transaction(async (unit) => {
      const current = await this.lockReachable(unit.tx, viewer, id);
      return this.json(await this.statuses.change(unit, current, 'DISCONNECTED', actorOf(viewer)));
    });
  }

  /**
   * Meta completed the webhook verification handshake for the session: a PENDING session becomes
   * CONNECTED (by the system). A DISCONNECTED one stays so, since an admin chose that; a deleted one is ignored.
   */
  async connectVerified(unit: UnitOfWork, tenantId: string, sessionId: string): Promise<void> {
    if (!(await lockOwnedRow(unit.tx, 'channel_sessions', tenantId, sessionId))) return;
    const current = await unit.tx.channelSession.findUniqueOrThrow({ where: { id: sessionId } });
    if (current.status === 'PENDING') await this.statuses.change(unit, current, 'CONNECTED', SYSTEM_ACTOR);
  }

  /** Sessions as their status changes (of one when `sessionId` is given; NOT_FOUND when the viewer cannot reach it). */
  async statusChanges(viewer: Viewer, sessionId: string | null): Promise<AsyncIterable<SessionJson>> {
    if (sessionId) await this.find(viewer, sessionId);
    const only = sessionId ?? boundSessionOf(viewer);
    return pipe(
      domainEvents(this.deps.pubsub, viewer.tenantId, 'session.status_changed'),
      map((event) => event.data.session),
      filter((session) => only === null || session.id === only),
    );
  }

  /** A session the viewer may reach, or NOT_FOUND. */
  async find(viewer: Viewer, id: string): Promise<ChannelSession> {
    const session = await this.deps.prisma.channelSession.findFirst({ where: reachableSession(viewer, id) });
    if (!session) throw notFound('Session');
    return session;
  }

  private json(session: ChannelSession): SessionJson {
    return toSessionJson(session, this.deps.publicUrl);
  }

  /** Whether the session can be CONNECTED; throws CONFLICT naming what to fix when not. */
  private async check(session: ChannelSession): Promise<void> {
    if (session.channel === 'WEBSITE') {
      if (session.allowedOrigins.length === 0) throw conflict('allowedOrigins', 'Set allowedOrigins with updateSession before connecting');
      return;
    }
    if (!session.phoneNumberId) throw conflict('phoneNumberId', 'Set phoneNumberId with updateSession before connecting');
    if (!session.accessToken) throw conflict('accessToken', 'Set accessToken with updateSession before connecting');
    try {
      await this.deps.graphApi.verify(session);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const name = channelNames[session.channel];
      const fix = error.kind === 'rejected' ? '; check phoneNumberId and accessToken' : '; try again later';
      throw conflict('accessToken', `${name} did not accept the session's credentials: ${error.message}${fix}`);
    }
  }

  /** The webhook endpoint's input checked (URL reachability included) before the transaction, its fields under `webhook.`. */
  private async validWebhook(webhook: { url: string; events?: string[] | null }): Promise<Omit<ValidEndpoint, 'sessionId'>> {
    try {
      return await this.deps.webhookEndpoints.validate({ url: webhook.url, events: webhook.events });
    } catch (error) {
      if (error instanceof AppError && error.details.field) throw badInput(`webhook.${error.details.field}`, `webhook.${error.message}`);
      throw error;
    }
  }

  private async record(unit: UnitOfWork, viewer: Viewer, type: AuditEventType, session: ChannelSession, extra = {}) {
    const data = { sessionId: session.id, name: session.name, channel: session.channel, ...extra };
    await this.deps.audit.write({ tenantId: session.tenantId, type, ...actorOf(viewer), data }, unit);
  }

  /** Locks the session for the rest of the transaction, so that concurrent changes and a deletion see each other's result. */
  private async lockReachable(tx: Prisma.TransactionClient, viewer: Viewer, id: string): Promise<ChannelSession> {
    await lockOwnedRow(tx, 'channel_sessions', viewer.tenantId, id);
    const session = await tx.channelSession.findFirst({ where: reachableSession(viewer, id) });
    if (!session) throw notFound('Session');
    return session;
  }
}
