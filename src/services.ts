import { AccessTokens } from './auth/access-token.ts';
import { CredentialResolver } from './auth/credentials.ts';
import { CsrfTokens } from './auth/csrf.ts';
import type { AttemptCounter } from './auth/rate-limiter.ts';
import { Revocations } from './auth/revocations.ts';
import { SuspendedTeams } from './auth/suspended-teams.ts';
import { TeamLimits } from './modules/tenants/team-limits.ts';
import { ChatAttachments } from './modules/chats/attachments.ts';
import { ChatReadMarkers } from './modules/chats/read-markers.ts';
import { InvitationsService } from './modules/invitations/service.ts';
import { Members } from './modules/users/members.ts';
import { UserProfiles } from './modules/users/profile.ts';
import { RevokedSessions } from './auth/revoked-sessions.ts';
import type { Config } from './config.ts';
import { createConsumers } from './consumers.ts';
import { ConsumerWorker } from './events/consumer-worker.ts';
import { reactionsByType, type Reaction } from './events/consumers.ts';
import { Dispatcher } from './events/dispatcher.ts';
import { EffectKeys } from './events/effect-keys.ts';
import { Outbox } from './events/outbox.ts';
import type { DatabaseKind } from './db/pool.ts';
import { BatchedEnqueue } from './events/batched-enqueue.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { isWebhookEventType, type AppEvents } from './modules/events.ts';
import type { Logger } from './logger.ts';
import { ApiKeysService } from './modules/api-keys/service.ts';
import { AgentsService } from './modules/agents/service.ts';
import { AnalyticsService } from './modules/analytics/service.ts';
import { AuditService } from './modules/audit/service.ts';
import { RefreshTokens } from './modules/auth/refresh-tokens.ts';
import { AuthService } from './modules/auth/service.ts';
import { AUTO_REPLY_CONSUMER, createAutoReplies } from './modules/channels/auto-reply.ts';
import { ChannelConversationsService } from './modules/channels/conversations-service.ts';
import { GraphApiClient } from './modules/channels/provider-client.ts';
import { IdleCloser } from './modules/channels/idle-closer.ts';
import { Inbox } from './modules/channels/inbox.ts';
import { ChannelWebhookIntake } from './modules/channels/webhook-intake.ts';
import { WidgetService } from './modules/channels/widget-service.ts';
import { ChatsService } from './modules/chats/chats-service.ts';
import { ChatHistoryService } from './modules/chats/history-service.ts';
import { createConversations } from './modules/chats/streaming/index.ts';
import { InteractionsService } from './modules/interactions/service.ts';
import { ServiceClientsService } from './modules/interactions/service-clients.ts';
import { ConversationLeadTracker } from './modules/leads/conversation-leads.ts';
import { createAiIntent } from './modules/leads/ai-intent.ts';
import { periodic } from './periodic.ts';
import { Recordings } from './modules/interactions/recordings.ts';
import { Transcriber } from './modules/interactions/transcriber.ts';
import { LeadNotifier } from './modules/leads/notifier.ts';
import { LeadRecorder } from './modules/leads/recorder.ts';
import { LeadsService } from './modules/leads/service.ts';
import { SessionMessagesService } from './modules/channels/sessions/sending.ts';
import { SessionsService } from './modules/channels/sessions/service.ts';
import { TenantsService } from './modules/tenants/service.ts';
import { UsersService } from './modules/users/service.ts';
import { EmailVerifications } from './modules/users/email-verification.ts';
import { Mailer } from './mail/mailer.ts';
import { WebhookDeliveriesService } from './modules/webhooks/deliveries-service.ts';
import { DeliveryWorker } from './modules/webhooks/delivery-worker.ts';
import { WebhookEndpointsService } from './modules/webhooks/endpoints-service.ts';
import { OutboundHttp, type HostResolver } from './outbound/http-client.ts';
import type { Metrics } from './metrics/registry.ts';
import type { PubSub } from './pubsub/pubsub.ts';
import type { Redis } from 'ioredis';

export type Services = ReturnType<typeof createServices>['api'];

/**
 * Background work with a life of its own: started in the order given, stopped in reverse. Those
 * `beforeListening` start before the server takes requests; the rest once it does.
 */
export type Worker = { name: string; start(): void | Promise<void>; stop(): Promise<void>; beforeListening?: boolean };

/**
 * The composition root: wires every domain service (`api`, all that GraphQL and HTTP handlers
 * see) and the background workers that carry events between them (`workers`) from the
 * infrastructure the app was given. What reacts to what is in `consumers.ts`.
 */
export function createServices(deps: {
  config: Config;
  prisma: PrismaClient;
  /** Which database `prisma` reaches: the embedded one runs one transaction at a time. */
  databaseKind: DatabaseKind;
  pubsub: PubSub;
  /** Rate-limit counters, shared through Redis when configured. */
  limits: AttemptCounter;
  /** The shared command connection, when instances share Redis. */
  redis?: Redis;
  logger: Logger;
  /** Endpoints of this server that agents may call although loopback (the built-in demo agent). */
  isOwnEndpoint?: (url: URL) => boolean;
  /** Resolves host names of user-given URLs; the system resolver unless a test injects one. */
  resolveHost?: HostResolver;
  /** Where workers report what they did, when metrics are on. */
  metrics?: Metrics;
}) {
  const { config, prisma, pubsub, limits, logger, metrics } = deps;
  const serialTransactions = deps.databaseKind === 'embedded';
  let reactions = new Map<string, Reaction[]>();
  const dispatcher = new Dispatcher({
    prisma,
    pubsub,
    logger,
    isWebhookEvent: isWebhookEventType,
    reactionsTo: (type) => reactions.get(type) ?? [],
    serialTransactions,
    onDeliveriesScheduled: () => deliveryWorker.deliveriesScheduled(),
    onJobsEnqueued: () => consumerWorker.jobsEnqueued(),
  });
  const outbox = new Outbox<AppEvents>(prisma, () => dispatcher.wake());
  const effects = new EffectKeys(prisma);
  const outboundClient = (userAgent: string, isOwnEndpoint?: (url: URL) => boolean) =>
    new OutboundHttp({ allowPrivate: config.allowPrivateUrls, userAgent, isOwnEndpoint, resolve: deps.resolveHost });
  const agentHttp = outboundClient('convo-graph-agents/1.0', deps.isOwnEndpoint);
  const accessTokens = new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds);
  const csrf = new CsrfTokens(config.jwtSecret);
  const audit = new AuditService(prisma, outbox, pubsub);
  const tenants = new TenantsService(prisma, outbox, audit);
  const teamLimits = new TeamLimits(config.teamLimits);
  const mailer = new Mailer(config.mail, logger.child({ service: 'mailer' }));
  const emailVerifications = new EmailVerifications({ prisma, outbox, mailer, audit, effects, publicUrl: config.publicUrl, secret: config.jwtSecret });
  const users = new UsersService(prisma, outbox, audit, emailVerifications, teamLimits);
  const revocations = new Revocations(
    pubsub,
    new RevokedSessions(prisma, config.accessTokenTtlSeconds * 1000, logger.child({ service: 'revoked-sessions' })),
    logger.child({ service: 'revocations' }),
  );
  const suspendedTeams = new SuspendedTeams(prisma, pubsub, logger.child({ service: 'suspended-teams' }));
  suspendedTeams.onSuspended((tenantId) => revocations.closeTeam(tenantId));
  const apiKeys = new ApiKeysService(prisma, outbox, audit, revocations, teamLimits);
  const members = new Members({ prisma, outbox, audit, revocations, teamLimits });
  const profiles = new UserProfiles(prisma, outbox, audit);
  const outbound = outboundClient('convo-graph-webhooks/1.0');
  const webhookEndpoints = new WebhookEndpointsService(prisma, outbox, outbound, audit);
  const auth = new AuthService({
    prisma,
    accessTokens,
    refreshTokens: new RefreshTokens(prisma, config.refreshTokenTtlDays),
    limits,
    limitSettings: config.limits,
    tenants,
    users,
    outbox,
    audit,
    revocations,
    emailVerifications,
    suspendedTeams,
    csrf,
  });
  const invitations = new InvitationsService({
    prisma,
    outbox,
    audit,
    mailer,
    effects,
    teamLimits,
    users,
    auth,
    emailVerifications,
    limiter: limits,
    publicUrl: config.publicUrl,
    secret: config.jwtSecret,
  });
  const observeAgentCall = metrics?.observeAgentCall;
  const replies = createConversations({ config, prisma, outbox, pubsub, redis: deps.redis, logger, agentHttp, observeAgentCall });
  const leadRecorder = new LeadRecorder();
  const conversationLeads = new ConversationLeadTracker(leadRecorder);
  const inbox = new Inbox({ outbox, leads: conversationLeads });
  const channelSender = new GraphApiClient(
    outboundClient('convo-graph-channels/1.0'),
    { baseUrl: config.channels.graphApiBaseUrl, version: config.channels.graphApiVersion },
  );
  const sessions = new SessionsService({
    prisma,
    pubsub,
    outbox,
    audit,
    revocations,
    webhookEndpoints,
    graphApi: channelSender,
    publicUrl: config.publicUrl,
    teamLimits,
    allowLocalOrigins: config.env !== 'production',
  });
  const channelWebhooks = new ChannelWebhookIntake({
    prisma,
    jobs: new BatchedEnqueue(prisma),
    inbox,
    outbox,
    onAccepted: () => consumerWorker.jobsEnqueued(),
    logger: logger.child({ service: 'channel-webhooks' }),
  });
  const autoReplies = createAutoReplies({ config, prisma, outbox, sender: channelSender, effects, logger, agentHttp, observeAgentCall });
  const widget = new WidgetService({
    prisma,
    inbox,
    awaitAutoReply: (messageId, waitMs) => consumerWorker.waitFor(AUTO_REPLY_CONSUMER, messageId, waitMs),
    limiter: limits,
    messagesPerMinute: config.channels.widgetMessagesPerMinute,
    suspendedTeams,
    pubsub,
    ownOrigin: new URL(config.publicUrl).origin,
    allowLocalOrigins: config.env !== 'production',
  });
  const transcriber = new Transcriber(agentHttp, config.agents.maxDurationMs);
  const recordings = new Recordings({ prisma, outbox, audit, transcriber, logger: logger.child({ service: 'transcription' }) });
  const consumers = createConsumers({
    recordings,
    channelWebhooks,
    sessions,
    autoReplies,
    aiIntent: createAiIntent({ config, prisma, outbox, recorder: leadRecorder, effects, logger, agentHttp, observeAgentCall }),
    leadNotifier: new LeadNotifier(prisma, mailer, effects),
    emailVerifications,
    invitations,
  });
  reactions = reactionsByType(consumers);
  const consumerWorker = new ConsumerWorker({
    prisma,
    outbox,
    consumers,
    effects,
    logger,
    retryScheduleSeconds: config.consumers.retryScheduleSeconds,
    leaseMs: config.consumers.leaseMs,
    // Up to 500 jobs rather than 2,000 in one transaction, on a database where it holds up every other.
    transactionalKeys: serialTransactions ? 50 : undefined,
    observeJobs: metrics?.observeConsumerJobs,
  });
  const deliveryWorker = new DeliveryWorker({ prisma, outbox, http: outbound, settings: config.webhooks, logger, observeAttempt: metrics?.observeWebhookAttempt });
  const channelConversations = new ChannelConversationsService(prisma, outbox, pubsub);
  const idleCloser = new IdleCloser({
    conversations: channelConversations,
    idleMs: config.channels.conversationIdleCloseMs,
    logger: logger.child({ component: 'idle-closer' }),
  });
  const chatAttachments = new ChatAttachments(prisma);
  const unsentAttachments = periodic(60 * 60_000, async () => {
    const deleted = await chatAttachments.deleteUnsent().catch((error: unknown) => logger.error({ err: error }, 'could not delete unsent attachments'));
    if (deleted) logger.info({ deleted }, 'deleted attachments left unsent');
  });
  const workers: Worker[] = [
    { name: 'mailer', start: () => {}, stop: () => mailer.stop(), beforeListening: true },
    // Requests are checked against revoked sessions from the first one on.
    { name: 'revocations', start: () => revocations.start(), stop: () => revocations.stop(), beforeListening: true },
    { name: 'suspended teams', start: () => suspendedTeams.start(), stop: () => suspendedTeams.stop(), beforeListening: true },
    { name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() },
    { name: 'webhook deliveries', start: () => deliveryWorker.start(), stop: () => deliveryWorker.stop() },
    { name: 'consumers', start: () => consumerWorker.start(), stop: () => consumerWorker.stop() },
    { name: 'chat replies', start: () => replies.lifecycle.start(), stop: () => replies.lifecycle.stop() },
    { name: 'idle conversations', start: () => idleCloser.start(), stop: () => idleCloser.stop() },
    { name: 'unsent attachments', start: () => unsentAttachments.start(), stop: () => unsentAttachments.stop() },
  ];
  const api = {
    pubsub,
    mailer,
    emailVerifications,
    credentials: new CredentialResolver(accessTokens, apiKeys, revocations, csrf, suspendedTeams),
    revocations,
    audit,
    tenants,
    users,
    members,
    profiles,
    invitations,
    apiKeys,
    auth,
    outbound,
    webhookEndpoints,
    webhookDeliveries: new WebhookDeliveriesService(prisma, pubsub, webhookEndpoints, () => deliveryWorker.deliveriesScheduled()),
    interactions: new InteractionsService(prisma, outbox, audit, pubsub, recordings),
    recordings,
    serviceClients: new ServiceClientsService(prisma, outbox, webhookEndpoints, audit),
    agents: new AgentsService(prisma, outbox, outbound, audit),
    chats: new ChatsService(prisma),
    chatHistory: new ChatHistoryService(prisma),
    chatReads: new ChatReadMarkers(prisma),
    chatAttachments,
    inbox,
    channelWebhooks,
    channelSender,
    sessions,
    sessionMessages: new SessionMessagesService(prisma, outbox, channelSender),
    widget,
    channelConversations,
    analytics: new AnalyticsService(prisma),
    leads: new LeadsService(prisma, outbox, pubsub, leadRecorder),
    conversationLeads,
    conversations: replies.conversations,
    replyLifecycle: replies.lifecycle,
  };
  return { api, workers };
}
