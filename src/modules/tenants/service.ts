import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { actorOf, isAdmin, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import type { Outbox } from '../events.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { badInput, forbidden, notFound } from '../../errors.ts';
import { displayName, email, parseInput } from '../../validation.ts';
import { shareActiveAgent } from '../agents/active-agent.ts';
import type { AuditService } from '../audit/service.ts';

export const MAX_NOTIFICATION_EMAILS = 10;

const updateInput = z.object({
  name: displayName(100).nullish(),
  notificationEmails: z
    .array(email)
    .transform((emails) => [...new Set(emails)])
    .refine((emails) => emails.length <= MAX_NOTIFICATION_EMAILS, `must be at most ${MAX_NOTIFICATION_EMAILS} distinct addresses`)
    .nullish(),
});

export type UpdateTenantInput = z.input<typeof updateInput>;
type TenantProjection = Projection<Prisma.TenantInclude, Prisma.TenantSelect>;

export class TenantsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
  ) {}

  async get(tenantId: string, projection: TenantProjection = {}) {
    const tenant = await this.prisma.tenant.findUnique({ ...projection, where: { id: tenantId } });
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }

  /** A slug derived from the name; a random suffix when the plain one is taken. */
  async create(name: string, tx: Prisma.TransactionClient) {
    const base = slugify(name) || 'team';
    const taken = await tx.tenant.findUnique({ where: { slug: base }, select: { id: true } });
    const slug = taken ? `${base}-${randomBytes(3).toString('hex')}` : base;
    return tx.tenant.create({ data: { name, slug } });
  }

  /**
   * Renames the tenant or replaces its notification addresses (lower-cased, duplicates dropped);
   * admins only. Null or omitted fields stay; the slug never changes. Audited when something changed.
   */
  async update(viewer: Viewer, input: UpdateTenantInput, projection: TenantProjection = {}) {
    if (!isAdmin(viewer)) throw forbidden('Only admins can change the team');
    const { name, notificationEmails } = parseInput(updateInput, input);
    const { tenantId } = viewer;
    return this.outbox.transaction(async (unit) => {
      const current = await unit.tx.tenant.findUniqueOrThrow({ where: { id: tenantId } });
      const fields = [
        ...(name != null && name !== current.name ? ['name'] : []),
        ...(notificationEmails != null && notificationEmails.join() !== current.notificationEmails.join() ? ['notificationEmails'] : []),
      ];
      if (fields.length === 0) return unit.tx.tenant.findUniqueOrThrow({ ...projection, where: { id: tenantId } });
      await this.audit.write({ tenantId, type: 'TENANT_UPDATED', ...actorOf(viewer), data: { fields } }, unit);
      const data = { name: name ?? undefined, notificationEmails: notificationEmails ?? undefined };
      return unit.tx.tenant.update({ ...projection, where: { id: tenantId }, data });
    });
  }

  /**
   * Chooses the agent that classifies the team's lead intent (one of its active agents), or
   * none (null): the rules alone. Admins only; audited as TENANT_UPDATED when it changed.
   */
  async setLeadIntentAgent(viewer: Viewer, agentId: string | null, projection: TenantProjection = {}) {
    if (!isAdmin(viewer)) throw forbidden('Only admins can change the team');
    const { tenantId } = viewer;
    return this.outbox.transaction(async (unit) => {
      if (agentId !== null && !(await shareActiveAgent(unit.tx, tenantId, agentId))) throw badInput('agentId', NO_SUCH_AGENT);
      const current = await unit.tx.tenant.findUniqueOrThrow({ where: { id: tenantId }, select: { intentAgentId: true } });
      if (current.intentAgentId !== agentId) {
        await this.audit.write({ tenantId, type: 'TENANT_UPDATED', ...actorOf(viewer), data: { fields: ['leadIntentAgentId'] } }, unit);
      }
      return unit.tx.tenant.update({ ...projection, where: { id: tenantId }, data: { intentAgentId: agentId } });
    });
  }
}

/** Why `setLeadIntentAgent` refused an agent. */
const NO_SUCH_AGENT = 'agentId: your team has no active agent with this id';

function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
