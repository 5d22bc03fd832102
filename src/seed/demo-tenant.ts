import { hashPassword, verifyPassword } from '../auth/password.ts';
import type { Viewer } from '../auth/viewer.ts';
import type { Config } from '../config.ts';
import { createDatabase } from '../db/client.ts';
import { migrate } from '../db/migrate.ts';
import { EffectKeys } from '../events/effect-keys.ts';
import { Outbox } from '../events/outbox.ts';
import type { AppEvents } from '../modules/events.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { DEMO_AGENT_PATH, DEMO_MODEL_BASE_PATH } from '../http/demo-agent.ts';
import type { Logger } from '../logger.ts';
import { AgentsService } from '../modules/agents/service.ts';
import { AuditService } from '../modules/audit/service.ts';
import { ChatsService } from '../modules/chats/chats-service.ts';
import { TenantsService } from '../modules/tenants/service.ts';
import { TeamLimits } from '../modules/tenants/team-limits.ts';
import { UsersService } from '../modules/users/service.ts';
import { EmailVerifications } from '../modules/users/email-verification.ts';
import { Mailer } from '../mail/mailer.ts';
import { OutboundHttp } from '../outbound/http-client.ts';
import { createMemoryPubSub } from '../pubsub/memory.ts';
import { password as passwordRules } from '../validation.ts';

/** What `npm run seed` creates; the README documents these values. */
export const DEMO = {
  tenantName: 'Demo',
  tenantSlug: 'demo',
  email: 'demo@example.com',
  defaultPassword: 'demo-password',
  adminName: 'Demo Admin',
  agentName: 'Demo agent',
  chatTitle: 'Welcome',
  modelAgentName: 'Demo model',
  modelName: 'demo-echo',
  modelChatTitle: 'Welcome (OpenAI-compatible)',
} as const;

/** The seed will not run here; the message says why and what to do. */
export class SeedRefusedError extends Error {
  override name = 'SeedRefusedError';
}

export type DemoSeed = {
  tenant: { id: string; name: string; slug: string };
  admin: { id: string; email: string };
  agent: { id: string; name: string; webhookUrl: string };
  chat: { id: string; title: string };
  /** The OPENAI_COMPATIBLE agent, answered by this server's demo model, and its chat. */
  modelAgent: { id: string; name: string; baseUrl: string; model: string };
  modelChat: { id: string; title: string };
  /** What this run created; all false when the demo was already there. */
  created: { tenant: boolean; agent: boolean; chat: boolean };
  /** The password that signs the admin in; null when it was changed since the first seed. */
  password: string | null;
};

/**
 * Creates the demo tenant, its admin, two agents answered by this server on `port` (a WEBHOOK
 * agent by its demo agent, an OPENAI_COMPATIBLE one by its demo model) and a chat with each, on the database `config` names; finds what is already there instead of
 * duplicating it. Refuses in production, and on PGlite while a server on `port` holds the database.
 */
export async function seedDemo(config: Config, options: { port: number; password?: string; logger: Logger }): Promise<DemoSeed> {
  const password = options.password ?? DEMO.defaultPassword;
  await assertSafeToSeed(config, options.port, password);
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, logger: options.logger });
  try {
    await migrate(database, options.logger);
    return await seedInto(database.prisma, config, options.port, password, options.logger);
  } finally {
    await database.close();
  }
}

async function assertSafeToSeed(config: Config, port: number, password: string) {
  if (config.env === 'production') {
    throw new SeedRefusedError('refused with NODE_ENV=production, since the demo admin has a published password.');
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new SeedRefusedError(`PORT must name the port the server will listen on (1-65535), not ${port}: the demo agent's URL needs it.`);
  }
  const problem = passwordRules.safeParse(password).error?.issues[0];
  if (problem) throw new SeedRefusedError(`SEED_PASSWORD ${problem.message}.`);
  if (!config.databaseUrl && (await serverAnswers(port))) {
    throw new SeedRefusedError(
      `A server answers on http://127.0.0.1:${port}/health and may hold the embedded database in ${config.dataDir}, ` +
        'which only one process may open at a time: stop the server first, then run npm run seed again.',
    );
  }
}

async function serverAnswers(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

async function seedInto(prisma: PrismaClient, config: Config, port: number, password: string, logger: Logger): Promise<DemoSeed> {
  // Nothing wakes a dispatcher here: the server publishes these events when it next polls the outbox.
  const outbox = new Outbox<AppEvents>(prisma, () => {});
  // Nobody follows the audit log of this process: its own in-memory pub/sub, never published to.
  const audit = new AuditService(prisma, outbox, createMemoryPubSub());
  // The demo admin's address is not a real mailbox: no verification email goes out, whatever SMTP_URL says.
  const noMail = new Mailer({ from: config.mail.from }, logger);
  const verifications = new EmailVerifications({
    prisma,
    outbox,
    mailer: noMail,
    audit,
    effects: new EffectKeys(prisma),
    publicUrl: config.publicUrl,
    secret: config.jwtSecret,
  });
  const users = new UsersService(prisma, outbox, audit, verifications, new TeamLimits(config.teamLimits));
  const { tenant, admin, created: tenantCreated } = await findOrCreateAdmin(prisma, outbox, audit, users, password);

  // The agents service refuses loopback URLs; the seed is an operator's tool, so it may allow the one host it needs.
  const outbound = new OutboundHttp({ allowPrivate: [...config.allowPrivateUrls, 'localhost'], userAgent: 'convo-graph-seed/1.0' });
  const agents = new AgentsService(prisma, outbox, outbound, audit);
  // The services act for the demo admin; no session is issued for it.
  const viewer: Viewer = {
    tenantId: tenant.id,
    userId: admin.id,
    role: 'ADMIN',
    credential: { kind: 'session', sessionId: 'npm-run-seed', expiresAt: new Date() },
  };
  const ownUrl = (path: string) => new URL(path, `http://localhost:${port}`).href;
  const webhookUrl = ownUrl(DEMO_AGENT_PATH);
  const { agent, created: agentCreated } = await ensureAgent(prisma, agents, viewer, DEMO.agentName, {
    description: 'The built-in demo agent: it echoes your message. Point webhookUrl at an n8n workflow for a real one.',
    connection: { kind: 'WEBHOOK', webhookUrl },
    systemPrompt: 'You are a friendly guide to this backend.',
  });
  const baseUrl = ownUrl(DEMO_MODEL_BASE_PATH);
  const { agent: modelAgent } = await ensureAgent(prisma, agents, viewer, DEMO.modelAgentName, {
    description: 'The built-in demo model: an OpenAI-compatible API that echoes your message. Point baseUrl, model and apiKey at a real one.',
    connection: { kind: 'OPENAI_COMPATIBLE', baseUrl, model: DEMO.modelName },
    systemPrompt: 'You are a friendly guide to this backend.',
  });
  const chats = new ChatsService(prisma);
  const { chat, created: chatCreated } = await ensureChat(prisma, chats, viewer, agent.id, DEMO.chatTitle);
  const { chat: modelChat } = await ensureChat(prisma, chats, viewer, modelAgent.id, DEMO.modelChatTitle);

  const passwordWorks = tenantCreated || (await verifyPassword(admin.passwordHash, password));
  return {
    tenant: { id: tenant.id, name: tenant.name, slug: tenant.slug },
    admin: { id: admin.id, email: admin.email },
    agent: { id: agent.id, name: agent.name, webhookUrl: agent.webhookUrl },
    chat: { id: chat.id, title: chat.title },
    modelAgent: { id: modelAgent.id, name: modelAgent.name, baseUrl, model: DEMO.modelName },
    modelChat: { id: modelChat.id, title: modelChat.title },
    created: { tenant: tenantCreated, agent: agentCreated, chat: chatCreated },
    password: passwordWorks ? password : null,
  };
}

type DemoAgent = {
  description: string;
  connection: { kind: 'WEBHOOK'; webhookUrl: string } | { kind: 'OPENAI_COMPATIBLE'; baseUrl: string; model: string };
  systemPrompt: string;
};

/**
 * The demo agent called `name`, created as `wanted` says. One seeded before for another PORT,
 * or switched off since, is pointed back at this server and switched on; one the team pointed
 * at a real webhook or provider is theirs, and left as it is.
 */
async function ensureAgent(prisma: PrismaClient, agents: AgentsService, viewer: Viewer, name: string, wanted: DemoAgent) {
  const existing = await prisma.agent.findFirst({ where: { tenantId: viewer.tenantId, name }, orderBy: { id: 'asc' } });
  if (!existing) {
    const { description, connection, systemPrompt } = wanted;
    return { agent: await agents.create(viewer, { name, description, ...connection, systemPrompt }), created: true };
  }
  const { connection } = wanted;
  const [url, wantedUrl, demoPath] =
    connection.kind === 'WEBHOOK'
      ? [existing.webhookUrl, connection.webhookUrl, DEMO_AGENT_PATH]
      : [existing.baseUrl, connection.baseUrl, DEMO_MODEL_BASE_PATH];
  const stillDemo = existing.kind === connection.kind && url !== null && URL.canParse(url) && new URL(url).pathname === demoPath;
  if (!stillDemo || (url === wantedUrl && existing.isActive)) return { agent: existing, created: false };
  return { agent: await agents.update(viewer, existing.id, { ...connection, isActive: true }), created: false };
}

/** The admin's chat called `title` with `agentId`, created when missing. */
async function ensureChat(prisma: PrismaClient, chats: ChatsService, viewer: Viewer, agentId: string, title: string) {
  const existing = await prisma.chat.findFirst({
    where: { tenantId: viewer.tenantId, ownerId: viewer.userId, agentId, title },
    orderBy: { id: 'asc' },
  });
  return existing ? { chat: existing, created: false } : { chat: await chats.create(viewer, { agentId, title }), created: true };
}

/** The demo tenant and its admin, as the last seed left them, or created now as sign-up would. */
async function findOrCreateAdmin(prisma: PrismaClient, outbox: Outbox<AppEvents>, audit: AuditService, users: UsersService, password: string) {
  const existing = await prisma.tenant.findUnique({ where: { slug: DEMO.tenantSlug } });
  if (existing) {
    const admin = await prisma.user.findFirst({ where: { tenantId: existing.id, email: DEMO.email } });
    if (!admin) {
      throw new SeedRefusedError(
        `A tenant with the slug "${DEMO.tenantSlug}" exists without the user ${DEMO.email}: it is not the seed's, so the seed leaves it alone.`,
      );
    }
    return { tenant: existing, admin, created: false };
  }
  const passwordHash = await hashPassword(password);
  return outbox.transaction(async (unit) => {
    const tenant = await new TenantsService(prisma, outbox, audit).create(DEMO.tenantName, unit.tx);
    const admin = await users.insert(unit.tx, { tenantId: tenant.id, email: DEMO.email, passwordHash, fullName: DEMO.adminName, role: 'ADMIN' });
    const actor = { tenantId: tenant.id, actorType: 'SYSTEM', actorLabel: 'npm run seed' } as const;
    await audit.write({ ...actor, type: 'TENANT_CREATED', data: { name: tenant.name, slug: tenant.slug } }, unit);
    await audit.write({ ...actor, type: 'USER_CREATED', data: { userId: admin.id, email: DEMO.email, role: 'ADMIN' } }, unit);
    return { tenant, admin, created: true };
  });
}
