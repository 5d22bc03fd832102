import { createServer, type Server } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { GRAPHQL_PATH } from './auth/cookies.ts';
import { createMemoryCounter, createResilientCounter } from './auth/rate-limiter.ts';
import type { Config } from './config.ts';
import type { PrismaClient } from './generated/prisma/client.ts';
import { createDatabase, type Database } from './db/client.ts';
import type { OpenedEmbedded } from './db/embedded/open.ts';
import { migrate } from './db/migrate.ts';
import { isDemoAgentUrl } from './http/demo-agent.ts';
import { createChannelWebhookHandler } from './http/channel-webhooks.ts';
import { createGraphiQLAssets } from './http/graphiql.ts';
import { serveAcceptInvitation } from './http/accept-invitation.ts';
import { createRequestHandler } from './http/routes.ts';
import { serveGraphQLOverWebSocket } from './http/websocket.ts';
import { TrustedDocuments } from './http/persisted-operations.ts';
import { createGraphQLServer } from './http/yoga.ts';
import { createMetricsServer } from './http/metrics-endpoint.ts';
import { addGauges } from './metrics/gauges.ts';
import { createMetrics } from './metrics/registry.ts';
import type { Logger } from './logger.ts';
import type { HostResolver } from './outbound/http-client.ts';
import { createMemoryPubSub } from './pubsub/memory.ts';
import type { PubSub } from './pubsub/pubsub.ts';
import type { RedisConnections } from './redis.ts';
import { riskySettings } from './risky-settings.ts';
import { createServices, type Services, type Worker } from './services.ts';

/** How long in-flight HTTP requests may take to finish once shutdown starts. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How often, while draining, connections that finished their last request are closed. */
const DRAIN_SWEEP_MS = 50;
const GOING_AWAY = 1001;
const WEBSOCKET_CLOSE_TIMEOUT_MS = 2_000;

export type App = {
  /** Connects, migrates and listens; resolves with the address it listens on. */
  start(): Promise<{ url: string; port: number }>;
  /** Stops accepting, closes sockets with 1001, drains requests, closes the database and Redis. */
  stop(): Promise<void>;
  /** The started app's database client: for test fixtures of what no API writes, never for app code. */
  prisma(): PrismaClient;
};

/** Parts a test or bench may replace; production uses the defaults. */
export type AppOverrides = {
  /** Resolves host names of user-given URLs (agents, webhook endpoints, provider APIs). */
  resolveHost?: HostResolver;
  /** The embedded database, already being opened (main.ts opens it while the app loads). */
  embedded?: Promise<OpenedEmbedded>;
};

export function buildApp(config: Config, logger: Logger, overrides: AppOverrides = {}): App {
  let database: Database | undefined;
  let redis: RedisConnections | undefined;
  let pubsub: PubSub | undefined;
  let workers: Worker[] = [];
  let server: Server | undefined;
  let wsServer: WebSocketServer | undefined;
  let webSockets: ReturnType<typeof serveGraphQLOverWebSocket> | undefined;
  let metricsServer: Server | undefined;
  let replies: Services['replyLifecycle'] | undefined;
  let shuttingDown = false;
  /** Known once listening (PORT=0 picks one). */
  let listeningPort: number | undefined;

  async function start() {
    const trustedDocuments = config.trustedDocumentsFile ? TrustedDocuments.load(config.trustedDocumentsFile) : undefined;
    if (trustedDocuments) logger.info({ file: config.trustedDocumentsFile, documents: trustedDocuments.size }, 'trusted documents only');
    database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger, embedded: overrides.embedded });
    const applied = await migrate(database, logger);
    if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
    // Redis clients load only when configured: the embedded default never needs them.
    if (config.redisUrl) {
      const [{ connectRedis }, { createRedisPubSub }] = await Promise.all([import('./redis.ts'), import('./pubsub/redis.ts')]);
      redis = await connectRedis(config.redisUrl, logger);
      pubsub = createRedisPubSub({ publisher: redis.commands, subscriber: redis.subscriber });
    } else {
      pubsub = createMemoryPubSub();
    }
    if (config.env === 'production' && database.kind === 'embedded') {
      logger.warn(
        { database: 'embedded', pubsub: redis ? 'redis' : 'memory' },
        'running on the embedded database in production: one instance only, a single writer, and no fsync (a power loss can lose the last commits); for several instances, more load or stronger durability, move to PostgreSQL + Redis (README: "Moving to PostgreSQL")',
      );
    }

    const risks = riskySettings(config);
    if (risks.length) logger.warn({ risks }, `risky settings for production: ${risks.join('; ')}`);

    const metrics = config.metrics.enabled ? createMetrics() : undefined;
    const limits = redis ? createResilientCounter(redis.commands, logger.child({ component: 'rate-limits' })) : createMemoryCounter();
    const { api: services, workers: background } = createServices({
      config,
      prisma: database.prisma,
      databaseKind: database.kind,
      pubsub,
      limits,
      redis: redis?.commands,
      logger,
      isOwnEndpoint: (url) => config.demoAgent && listeningPort !== undefined && isDemoAgentUrl(url, listeningPort),
      resolveHost: overrides.resolveHost,
      metrics,
    });
    replies = services.replyLifecycle;
    const startWorkers = async (beforeListening: boolean) => {
      for (const worker of background.filter((each) => !!each.beforeListening === beforeListening)) {
        await worker.start();
        workers.push(worker);
      }
    };
    await startWorkers(true);
    const yoga = createGraphQLServer(config, { services, prisma: database.prisma, logger, cookies: { secure: config.secureCookies, domain: config.cookieDomain }, trustedDocuments, metrics });

    const db = database;
    server = createServer(
      createRequestHandler({
        yoga,
        logger,
        maxBodyBytes: config.maxBodyBytes,
        trustProxy: config.trustProxy,
        avatars: { agents: services.agents, users: services.profiles },
        attachments: services.chatAttachments,
        widget: services.widget,
        demoAgent: config.demoAgent,
        graphiqlAssets: config.graphiql ? createGraphiQLAssets() : undefined,
        channelWebhooks: createChannelWebhookHandler({ intake: services.channelWebhooks, logger }),
        verifyEmail: (token) => services.emailVerifications.verify(token),
        acceptInvitation: (req, res) =>
          serveAcceptInvitation(req, res, {
            invitations: services.invitations,
            teamSlug: async (tenantId) => (await services.tenants.get(tenantId)).slug,
            logger,
          }),
        isShuttingDown: () => shuttingDown,
        backends: { database: db.kind, pubsub: redis ? 'redis' : 'memory' },
        checkReadiness: async () => {
          await db.ping();
          await redis?.ping();
        },
        metrics: metrics && { registry: metrics.registry, onThisPort: !config.metrics.port, observeHttp: metrics.observeHttp },
      }),
    );
    wsServer = new WebSocketServer({
      server,
      path: GRAPHQL_PATH,
      maxPayload: config.maxBodyBytes,
      // While draining, a new socket goes to another instance: its client reconnects there.
      verifyClient: (_info, accept) => (shuttingDown ? accept(false, 503, 'Shutting down') : accept(true)),
    });
    webSockets = serveGraphQLOverWebSocket(wsServer, {
      yoga,
      services,
      logger,
      trustProxy: config.trustProxy,
      limits: {
        maxSubscriptionsPerConnection: config.limits.subscriptionsPerConnection,
        maxConnectionsPerCredential: config.limits.connectionsPerCredential,
      },
    });

    if (metrics) {
      const sockets = webSockets;
      const bus = pubsub;
      addGauges(metrics, {
        prisma: db.prisma,
        pool: () => db.poolStats(),
        pubsubConnected: () => bus.isConnected(),
        openWebSockets: () => wsServer?.clients.size ?? 0,
        subscriptionsByField: () => sockets.subscriptionsByField(),
      });
      if (config.metrics.port) {
        metricsServer = createMetricsServer(metrics.registry, logger);
        await listen(metricsServer, config.metrics.port, config.host);
        logger.info({ port: config.metrics.port }, 'metrics served on their own port');
      }
    }

    const listening = server;
    await listen(listening, config.port, config.host);
    const { port } = listening.address() as AddressInfo;
    listeningPort = port;
    // Once listening: work left by a previous run may call this server (the demo agent).
    await startWorkers(false);
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}${GRAPHQL_PATH}`;
    logger.info({ url, database: database.kind, pubsub: redis ? 'redis' : 'memory' }, 'ready');
    return { url, port };
  }

  async function stop() {
    if (shuttingDown) return;
    // From here /ready answers 503 and WebSocket upgrades are refused, so that the load balancer
    // sends new work elsewhere, while HTTP keeps answering for the drain window and replies in
    // flight get their grace to finish.
    shuttingDown = true;
    logger.info({ drainMs: config.shutdown.drainMs, replyGraceMs: config.shutdown.replyGraceMs }, 'draining');
    await Promise.all([delay(config.shutdown.drainMs), replies?.settle(config.shutdown.replyGraceMs)]);
    // Replies past their grace end (as FAILED) before sockets close, so that their followers here get the last event.
    await replies?.stop();
    await Promise.all([closeHttp(server), closeWebSockets(wsServer)]);
    await webSockets?.stopParkedSubscriptions();
    // In reverse: a sendMessage that was still in flight may have started a reply meanwhile, and
    // the consumers' last effects (emails) go out before the mailer closes.
    for (const worker of workers.reverse()) await worker.stop();
    workers = [];
    await pubsub?.close();
    await redis?.close();
    await database?.close();
    await new Promise((resolve) => (metricsServer?.listening ? metricsServer.close(resolve) : resolve(undefined)));
    logger.info('stopped');
  }

  const prisma = () => {
    if (!database) throw new Error('The app has not started');
    return database.prisma;
  };

  return { start, stop, prisma };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Closes every socket with 1001 and waits for the close handshakes, so that their subscriptions
 * are torn down while pub/sub is still connected; a peer that does not answer is cut off.
 */
async function closeWebSockets(wsServer: WebSocketServer | undefined) {
  if (!wsServer) return;
  const sockets = [...wsServer.clients];
  const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
  for (const socket of sockets) socket.close(GOING_AWAY, 'Server shutting down');
  const timer = setTimeout(() => sockets.forEach((socket) => socket.terminate()), WEBSOCKET_CLOSE_TIMEOUT_MS);
  await Promise.all([...closed, new Promise((resolve) => wsServer.close(resolve))]);
  clearTimeout(timer);
}

/** Stops accepting connections, lets in-flight requests finish, then cuts what is left. */
async function closeHttp(server: Server | undefined) {
  if (!server?.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // server.close() closes the connections idle at that moment only; a keep-alive connection whose
  // request finishes later would otherwise stay open until keepAliveTimeout.
  const sweep = setInterval(() => server.closeIdleConnections(), DRAIN_SWEEP_MS);
  const timer = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
}
