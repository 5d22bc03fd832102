import { resolve } from 'node:path';
import { z } from 'zod';
import { loadOrCreateSecret } from './data-dir.ts';

const booleanish = z
  .enum(['true', 'false', '1', '0', ''])
  .transform((value) => value === 'true' || value === '1');

const csv = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./.data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  ALLOW_PRIVATE_URLS: csv.default([]),
  CORS_ORIGINS: csv.default([]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanish.default(false),
  COOKIE_DOMAIN: z
    .string()
    .regex(/^\.?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i, 'must be a domain name such as example.com')
    .transform((domain) => domain.replace(/^\./, '').toLowerCase())
    .optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  LOGIN_MAX_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  SIGNUPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(10),
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(10_000).default(100),
  WS_MAX_CONNECTIONS_PER_CREDENTIAL: z.coerce.number().int().min(1).max(100_000).default(50),
  GRAPHIQL: booleanish.optional(),
  GRAPHQL_INTROSPECTION: booleanish.optional(),
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
  DEMO_AGENT: booleanish.optional(),
  WEBHOOK_RETRY_SCHEDULE: csv
    .transform((delays) => delays.map(Number))
    .pipe(z.array(z.number().int('must be whole seconds').min(0).max(7 * 86_400)).min(1, 'needs at least one delay'))
    .default([5, 300, 1800, 7200, 18000, 36000, 36000]),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  WEBHOOK_DISABLE_AFTER_HOURS: z.coerce.number().min(0.001).default(120),
  WEBHOOK_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  CONSUMER_RETRY_SCHEDULE: csv
    .transform((delays) => delays.map(Number))
    .pipe(z.array(z.number().int('must be whole seconds').min(0).max(7 * 86_400)).min(1, 'needs at least one delay'))
    .default([1, 10, 60, 300, 1800, 7200]),
  CONSUMER_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(60_000),
  AGENT_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  AGENT_MAX_DURATION_MS: z.coerce.number().int().min(1000).max(3_600_000).default(300_000),
  AGENT_HISTORY_MESSAGES: z.coerce.number().int().min(1).max(1000).default(50),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  SESSION_LIMIT_PER_TENANT: z.coerce.number().int().min(1).max(10_000).default(10),
  USER_LIMIT_PER_TENANT: z.coerce.number().int().min(1).max(100_000).default(500),
  API_KEY_LIMIT_PER_TENANT: z.coerce.number().int().min(1).max(100_000).default(500),
  GRAPH_API_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://graph.facebook.com'),
  GRAPH_API_VERSION: z.string().regex(/^v\d+\.\d+$/, 'must look like v21.0').default('v21.0'),
  WIDGET_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  CONVERSATION_IDLE_CLOSE_HOURS: z.coerce.number().min(0.001).default(24),
  AUTO_REPLY_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_SDK_DISABLED: booleanish.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('convo-graph'),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1).max(600_000).default(5_000),
  METRICS: booleanish.optional(),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  SHUTDOWN_REPLY_GRACE_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('Convo Graph <no-reply@localhost>'),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  allowPrivateUrls: string[];
  corsOrigins: string[];
  logLevel: string;
  trustProxy: boolean;
  maxBodyBytes: number;
  limits: {
    /** Failed logins a minute for one email from one address. */
    loginFailuresPerEmail: number;
    /** Failed logins a minute from one address, whatever the email. */
    loginFailuresPerAddress: number;
    /** Teams one address may sign up an hour. */
    signUpsPerAddressPerHour: number;
    /** Operations in flight on one WebSocket connection. */
    subscriptionsPerConnection: number;
    /** Open WebSocket connections per credential (per address when anonymous), per instance. */
    connectionsPerCredential: number;
  };
  webhooks: {
    /** Seconds to wait before each retry; its length is the number of retries. */
    retryScheduleSeconds: number[];
    timeoutMs: number;
    /** An endpoint failing without a success for this long is disabled. */
    disableAfterMs: number;
    /** Attempts in flight at once per endpoint, per instance. */
    endpointConcurrency: number;
  };
  /** Internal consumers: reactions to events (auto-replies, emails) and inbound payloads. */
  consumers: {
    /** Seconds to wait before each retry of a failed job; past the last, the job is FAILED. */
    retryScheduleSeconds: number[];
    /** How long a claimed job is this instance's; renewed while it runs, so another instance takes it over only after a crash. */
    leaseMs: number;
  };
  agents: {
    /** Longest wait for the agent's first byte, and then between two pieces of its answer. */
    idleTimeoutMs: number;
    /** Longest a whole reply may take. */
    maxDurationMs: number;
    /** How many of the chat's latest messages the agent is sent. */
    historyMessages: number;
  };
  /** Where browsers and providers reach this server (links in QR codes); defaults to http://localhost:PORT. */
  publicUrl: string;
  /** Every team's limits unless an operator set its own (`npm run admin -- limits`). */
  teamLimits: { users: number; channelSessions: number; apiKeys: number };
  channels: {
    /** The Graph API (WhatsApp, Messenger, Instagram) root; tests point it at a local stand-in. */
    graphApiBaseUrl: string;
    graphApiVersion: string;
    /** Website widget messages a visitor (and an address) may send a minute. */
    widgetMessagesPerMinute: number;
    /** A conversation with no message for this long is closed. */
    conversationIdleCloseMs: number;
    /** A message written longer ago than this gets no auto-reply: after an outage or a late redelivery it would come out of the blue. */
    autoReplyMaxAgeMs: number;
  };
  mail: {
    /** Unset: no email is sent (notifications are logged instead). */
    smtpUrl?: string;
    from: string;
  };
  /** OpenTelemetry traces over OTLP/HTTP, on when an OTLP endpoint is set (see tracing/setup.ts). */
  tracing: { enabled: boolean; serviceName: string; exportDelayMs: number };
  /** Prometheus metrics on `/metrics`: off, on the API's port, or on a port of their own. */
  metrics: { enabled: boolean; port?: number };
  shutdown: {
    /** After SIGTERM, how long HTTP keeps answering (with /ready at 503 and WebSocket upgrades refused) before connections close. */
    drainMs: number;
    /** After SIGTERM, how long streamed replies in flight may take to finish before they end FAILED. */
    replyGraceMs: number;
  };
  graphiql: boolean;
  /** Answer `__schema` and `__type`; GraphiQL needs it. Off in production unless GraphiQL is served or it is asked for. */
  introspection: boolean;
  /** A graphql-codegen `persisted-documents.json`: set, only its operations run (see persisted-operations.ts). */
  trustedDocumentsFile?: string;
  /** "Did you mean …?" in errors: off in production, where they would spell out the schema that introspection hides. */
  fieldSuggestions: boolean;
  /** Serve the built-in demo agent on POST /demo-agent and demo model under /demo-agent/v1 (see src/http/demo-agent.ts, demo-model.ts). */
  demoAgent: boolean;
  /** Cookies get `Secure` in production, where the API is behind HTTPS. */
  secureCookies: boolean;
  /** The CSRF cookie's Domain, for a frontend on another host of it (app.example.com with api.example.com). */
  cookieDomain?: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the environment once. Every problem is reported together (ConfigError).
 * Outside production a missing JWT_SECRET is generated and kept in DATA_DIR so that tokens
 * survive restarts of the embedded default; an unusable DATA_DIR throws a DataDirError.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const given = stripEmpty(env);
  const parsed = envSchema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`);
  if (given.NODE_ENV === 'production' && !given.JWT_SECRET) {
    problems.push('JWT_SECRET: required when NODE_ENV=production');
  }
  if (parsed.success && parsed.data.GRAPHIQL === true && parsed.data.TRUSTED_DOCUMENTS) {
    problems.push('TRUSTED_DOCUMENTS: GraphiQL (GRAPHIQL=true) sends operations of its own, which trusted documents refuse; turn one of them off');
  }
  const publicHost = parsed.success && parsed.data.PUBLIC_URL ? new URL(parsed.data.PUBLIC_URL).hostname : undefined;
  const cookieDomain = parsed.success ? parsed.data.COOKIE_DOMAIN : undefined;
  if (publicHost && cookieDomain && publicHost !== cookieDomain && !publicHost.endsWith(`.${cookieDomain}`)) {
    problems.push(`COOKIE_DOMAIN: ${cookieDomain} does not hold PUBLIC_URL's host ${publicHost}, so browsers would refuse its cookies`);
  }
  if (parsed.success && parsed.data.METRICS === false && parsed.data.METRICS_PORT) {
    problems.push('METRICS_PORT: serves metrics, which METRICS=false turns off; unset one of them');
  }
  if (parsed.success && parsed.data.GRAPHIQL === true && parsed.data.GRAPHQL_INTROSPECTION === false) {
    problems.push('GRAPHQL_INTROSPECTION: GraphiQL (GRAPHIQL=true) reads the schema by introspection; turn one of them off');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const values = parsed.data;
  const graphiql = values.GRAPHIQL ?? (values.NODE_ENV !== 'production' && !values.TRUSTED_DOCUMENTS);
  const dataDir = resolve(values.DATA_DIR);
  return {
    env: values.NODE_ENV,
    port: values.PORT,
    host: values.HOST,
    dataDir,
    databaseUrl: values.DATABASE_URL,
    redisUrl: values.REDIS_URL,
    jwtSecret: values.JWT_SECRET ?? loadOrCreateSecret(dataDir),
    accessTokenTtlSeconds: values.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: values.REFRESH_TOKEN_TTL_DAYS,
    allowPrivateUrls: values.ALLOW_PRIVATE_URLS,
    corsOrigins: values.CORS_ORIGINS,
    logLevel: values.LOG_LEVEL,
    trustProxy: values.TRUST_PROXY,
    maxBodyBytes: values.MAX_BODY_BYTES,
    limits: {
      loginFailuresPerEmail: values.LOGIN_MAX_FAILURES_PER_MINUTE,
      loginFailuresPerAddress: values.LOGIN_MAX_FAILURES_PER_ADDRESS_PER_MINUTE,
      signUpsPerAddressPerHour: values.SIGNUPS_PER_ADDRESS_PER_HOUR,
      subscriptionsPerConnection: values.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      connectionsPerCredential: values.WS_MAX_CONNECTIONS_PER_CREDENTIAL,
    },
    webhooks: {
      retryScheduleSeconds: values.WEBHOOK_RETRY_SCHEDULE,
      timeoutMs: values.WEBHOOK_TIMEOUT_MS,
      disableAfterMs: values.WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000,
      endpointConcurrency: values.WEBHOOK_ENDPOINT_CONCURRENCY,
    },
    consumers: {
      retryScheduleSeconds: values.CONSUMER_RETRY_SCHEDULE,
      leaseMs: values.CONSUMER_LEASE_MS,
    },
    agents: {
      idleTimeoutMs: values.AGENT_IDLE_TIMEOUT_MS,
      maxDurationMs: values.AGENT_MAX_DURATION_MS,
      historyMessages: values.AGENT_HISTORY_MESSAGES,
    },
    publicUrl: (values.PUBLIC_URL ?? `http://localhost:${values.PORT}`).replace(/\/+$/, ''),
    teamLimits: { users: values.USER_LIMIT_PER_TENANT, channelSessions: values.SESSION_LIMIT_PER_TENANT, apiKeys: values.API_KEY_LIMIT_PER_TENANT },
    channels: {
      graphApiBaseUrl: values.GRAPH_API_BASE_URL.replace(/\/+$/, ''),
      graphApiVersion: values.GRAPH_API_VERSION,
      widgetMessagesPerMinute: values.WIDGET_MESSAGES_PER_MINUTE,
      conversationIdleCloseMs: values.CONVERSATION_IDLE_CLOSE_HOURS * 3_600_000,
      autoReplyMaxAgeMs: values.AUTO_REPLY_MAX_AGE_SECONDS * 1000,
    },
    mail: { smtpUrl: values.SMTP_URL, from: values.MAIL_FROM },
    tracing: {
      enabled: !values.OTEL_SDK_DISABLED && !!(values.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? values.OTEL_EXPORTER_OTLP_ENDPOINT),
      serviceName: values.OTEL_SERVICE_NAME,
      exportDelayMs: values.OTEL_BSP_SCHEDULE_DELAY,
    },
    metrics: { enabled: values.METRICS ?? values.METRICS_PORT !== undefined, port: values.METRICS_PORT },
    shutdown: {
      drainMs: values.SHUTDOWN_DRAIN_MS ?? (values.NODE_ENV === 'production' ? 5_000 : 0),
      replyGraceMs: values.SHUTDOWN_REPLY_GRACE_MS ?? (values.NODE_ENV === 'production' ? 10_000 : 0),
    },
    graphiql,
    introspection: values.GRAPHQL_INTROSPECTION ?? graphiql,
    trustedDocumentsFile: values.TRUSTED_DOCUMENTS && resolve(values.TRUSTED_DOCUMENTS),
    fieldSuggestions: values.NODE_ENV !== 'production',
    demoAgent: values.DEMO_AGENT ?? values.NODE_ENV !== 'production',
    secureCookies: values.NODE_ENV === 'production',
    cookieDomain: values.COOKIE_DOMAIN,
  };
}

/** The demo admin's password for `npm run seed` (SEED_PASSWORD), a setting of the seed alone, not of the app. */
export function loadSeedPassword(env: Record<string, string | undefined> = process.env): string | undefined {
  return stripEmpty(env).SEED_PASSWORD;
}

function stripEmpty(env: Record<string, string | undefined>) {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
}
