import { z } from 'zod';
import { actorOf, isAdmin, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import { lockOwnedRow } from '../../db/row-locks.ts';
import type { Outbox, UnitOfWork } from '../events.ts';
import { forbidden, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { OutboundHttp } from '../../outbound/http-client.ts';
import { reachableUserUrl } from '../../outbound/user-url.ts';
import { displayName, jsonObject, parseInput, withoutNul } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import { readAvatar, type Upload } from '../../uploads/avatar-image.ts';
import { connectionFields, connectionOf, type Connection } from './kinds.ts';
import { toMessage, withAvatarHash, type AgentWithAvatarHash } from './messages.ts';

const MAX_CONFIG_BYTES = 64 * 1024;

/** The domain event each audited change of an agent emits. */
const eventOf = { AGENT_CREATED: 'agent.created', AGENT_UPDATED: 'agent.updated', AGENT_DELETED: 'agent.deleted' } as const;

const name = displayName(100);
const description = withoutNul(z.string().trim().max(1000, 'must be at most 1000 characters')).transform((text) => text || null);
const systemPrompt = withoutNul(z.string().max(20_000, 'must be at most 20000 characters')).transform((text) => (text.trim() ? text : null));
const config = jsonObject(MAX_CONFIG_BYTES);

const createInput = z.object({
  name,
  description: description.nullish(),
  ...connectionFields,
  systemPrompt: systemPrompt.nullish(),
  config: config.nullish(),
  isActive: z.boolean().nullish(),
});
const updateInput = z.object({
  name: name.nullish(),
  description: description.nullish(),
  ...connectionFields,
  systemPrompt: systemPrompt.nullish(),
  config: config.nullish(),
  isActive: z.boolean().nullish(),
});

type CreateAgentInput = z.input<typeof createInput>;
type UpdateAgentInput = z.input<typeof updateInput>;
type AgentProjection = Projection<Prisma.AgentInclude, Prisma.AgentSelect>;

/**
 * The tenant's agents. Everyone reads them; only admins change them. The webhook token goes in
 * and never comes out: answers and events say only whether there is one.
 */
export class AgentsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly outbound: OutboundHttp,
    private readonly audit: AuditService,
  ) {}

  /** By name; inactive agents only when asked for. */
  list(tenantId: string, includeInactive: boolean, projection: AgentProjection = {}) {
    return this.prisma.agent.findMany({
      ...projection,
      where: { tenantId, ...(includeInactive ? {} : { isActive: true }) },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
    });
  }

  async get(tenantId: string, id: string, projection: AgentProjection = {}) {
    const agent = await this.prisma.agent.findFirst({ ...projection, where: { id, tenantId } });
    if (!agent) throw notFound('Agent');
    return agent;
  }

  /** Creates an agent and emits `agent.created`; admins only. */
  async create(viewer: Viewer, input: CreateAgentInput): Promise<AgentWithAvatarHash> {
    assertAdmin(viewer);
    // Settings of the wrong kind are refused before any URL is looked up.
    const unchecked = parseInput(createInput, input);
    connectionOf(unchecked);
    const parsed = await this.checkedUrls(unchecked);
    const connection = connectionOf(parsed);
    return this.outbox.transaction(async (unit) => {
      const agent = await unit.tx.agent.create({
        data: {
          tenantId: viewer.tenantId,
          name: parsed.name,
          description: parsed.description ?? null,
          ...connection,
          systemPrompt: parsed.systemPrompt ?? null,
          config: parsed.config ?? {},
          isActive: parsed.isActive ?? true,
        },
        include: withAvatarHash,
      });
      await this.record(viewer, 'AGENT_CREATED', agent, unit);
      return agent;
    });
  }

  /**
   * Changes what the input names and leaves the rest. Null clears the optional fields
   * (description, webhookToken, apiKey, systemPrompt) and leaves the required ones as they are.
   * A change of kind takes the new kind's settings (see `connectionOf`).
   */
  async update(viewer: Viewer, id: string, input: UpdateAgentInput): Promise<AgentWithAvatarHash> {
    assertAdmin(viewer);
    const parsed = await this.checkedUrls(parseInput(updateInput, input));
    return this.outbox.transaction(async (unit) => {
      const current = await this.lockOwned(unit.tx, viewer.tenantId, id);
      const connection = connectionOf(parsed, current);
      const data = {
        name: parsed.name ?? undefined,
        description: parsed.description,
        ...changedOnly(connection, current),
        systemPrompt: parsed.systemPrompt,
        config: parsed.config ?? undefined,
        isActive: parsed.isActive ?? undefined,
      };
      const fields = Object.keys(data).filter((field) => data[field as keyof typeof data] !== undefined);
      if (fields.length === 0) return current;
      const agent = await unit.tx.agent.update({ where: { id }, data, include: withAvatarHash });
      await this.record(viewer, 'AGENT_UPDATED', agent, unit, fields);
      return agent;
    });
  }

  /** Deletes an agent and its avatar; its chats keep their history without it. Answers its id. */
  delete(viewer: Viewer, id: string): Promise<string> {
    assertAdmin(viewer);
    return this.outbox.transaction(async (unit) => {
      const agent = await this.lockOwned(unit.tx, viewer.tenantId, id);
      await unit.tx.agent.delete({ where: { id } });
      await this.record(viewer, 'AGENT_DELETED', agent, unit);
      return id;
    });
  }

  /** Replaces the agent's avatar with an image checked by its bytes (see `readAvatar`). */
  async setAvatar(viewer: Viewer, id: string, file: Upload): Promise<AgentWithAvatarHash> {
    assertAdmin(viewer);
    const { mimeType, bytes, sha256 } = await readAvatar(file);
    const image = { tenantId: viewer.tenantId, mimeType, bytes, sha256 };
    return this.changeAvatar(viewer, id, sha256, { upsert: { create: image, update: image } });
  }

  /** Removes the agent's avatar, if it has one. */
  removeAvatar(viewer: Viewer, id: string): Promise<AgentWithAvatarHash> {
    assertAdmin(viewer);
    return this.changeAvatar(viewer, id, null, { delete: true });
  }

  /** An avatar by the agent and hash its URL names; null when they do not match (a replaced one, say). */
  findAvatar(agentId: string, sha256: string) {
    return this.prisma.agentAvatar.findFirst({ where: { agentId, sha256 }, select: { mimeType: true, bytes: true } });
  }

  /** Applies `avatar` unless the agent already has the picture hashed `sha256` (null: none), which changes nothing. */
  private changeAvatar(viewer: Viewer, id: string, sha256: string | null, avatar: Prisma.AgentAvatarUpdateOneWithoutAgentNestedInput) {
    return this.outbox.transaction(async (unit) => {
      const current = await this.lockOwned(unit.tx, viewer.tenantId, id);
      if ((current.avatar?.sha256 ?? null) === sha256) return current;
      // Set by hand: a change of the avatar alone leaves the agent's own columns, and so @updatedAt, untouched.
      const agent = await unit.tx.agent.update({ where: { id }, data: { updatedAt: new Date(), avatar }, include: withAvatarHash });
      await this.record(viewer, 'AGENT_UPDATED', agent, unit, ['avatar']);
      return agent;
    });
  }

  /** The input with its URLs normalised, once they proved to be public http(s) URLs (BAD_USER_INPUT on the field otherwise). */
  private async checkedUrls<Input extends { webhookUrl?: string | null; baseUrl?: string | null }>(input: Input): Promise<Input> {
    const checked = async (field: 'webhookUrl' | 'baseUrl') => (input[field] ? reachableUserUrl(this.outbound, field, input[field]) : input[field]);
    return { ...input, webhookUrl: await checked('webhookUrl'), baseUrl: await checked('baseUrl') };
  }

  /** Writes the audit entry and the domain event of a change, in its transaction. */
  private async record(viewer: Viewer, type: keyof typeof eventOf, agent: AgentWithAvatarHash, unit: UnitOfWork, fields?: string[]) {
    const data = { agentId: agent.id, name: agent.name, ...(fields ? { fields } : {}) };
    await this.audit.write({ tenantId: agent.tenantId, type, ...actorOf(viewer), data }, unit);
    await unit.emit(agent.tenantId, eventOf[type], toMessage(agent));
  }

  /** Locks the agent for the rest of the transaction, so that concurrent changes and a deletion see each other's result. */
  private async lockOwned(tx: Prisma.TransactionClient, tenantId: string, id: string): Promise<AgentWithAvatarHash> {
    if (!(await lockOwnedRow(tx, 'agents', tenantId, id))) throw notFound('Agent');
    return tx.agent.findUniqueOrThrow({ where: { id }, include: withAvatarHash });
  }
}

/** The columns of `connection` that differ from the agent's: only those count as changed. */
function changedOnly(connection: Connection, current: Connection): Partial<Connection> {
  const entries = Object.entries(connection).filter(([column, value]) => current[column as keyof Connection] !== value);
  return Object.fromEntries(entries);
}

function assertAdmin(viewer: Viewer) {
  if (!isAdmin(viewer)) throw forbidden('Only admins can change agents');
}
