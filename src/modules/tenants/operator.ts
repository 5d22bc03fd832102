import { z } from 'zod';
import type { Prisma, PrismaClient, Tenant } from '../../generated/prisma/client.ts';
import { parseInput } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../events.ts';
import { seatsTaken, type TeamLimits, type TeamLimitValues } from './team-limits.ts';

/** A limit an operator sets: a whole number, or null for the server's setting. */
const limit = z.number().int('must be a whole number').min(1, 'must be at least 1').max(100_000, 'must be at most 100000').nullable().optional();

const limitsInput = z.object({ users: limit, channelSessions: limit, apiKeys: limit });

export type LimitsChange = z.input<typeof limitsInput>;

export type TeamReport = {
  id: string;
  name: string;
  slug: string;
  suspendedAt: string | null;
  suspendedReason: string | null;
  /** What the team may hold now, its own limits or the server's. */
  limits: TeamLimitValues;
  /** The limits set for this team alone; null takes the server's. */
  ownLimits: { users: number | null; channelSessions: number | null; apiKeys: number | null };
  holds: TeamLimitValues;
};

const OPERATOR = { actorType: 'SYSTEM', actorLabel: 'operator (npm run admin)' } as const;

export class TeamNotFoundError extends Error {
  override name = 'TeamNotFoundError';
}

/**
 * What an operator does to a team from outside the API (`npm run admin`): read it, set its
 * limits, suspend or resume it. Each change is audited in the team's log; a suspension or
 * resumption is announced to running instances through `announce`.
 */
export class TeamOperator {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      outbox: Outbox;
      audit: AuditService;
      limits: TeamLimits;
      announce: (tenantId: string, suspended: boolean) => Promise<void>;
    },
  ) {}

  /** A team by slug or id. */
  async find(team: string): Promise<Tenant> {
    const tenant = await this.deps.prisma.tenant.findFirst({ where: { OR: [{ slug: team }, { id: team }] } });
    if (!tenant) throw new TeamNotFoundError(`No team has the slug or id "${team}"`);
    return tenant;
  }

  async report(team: string): Promise<TeamReport> {
    const tenant = await this.find(team);
    const { prisma } = this.deps;
    const tenantId = tenant.id;
    const [users, channelSessions, apiKeys] = await Promise.all([
      seatsTaken(prisma, tenantId),
      prisma.channelSession.count({ where: { tenantId } }),
      prisma.apiKey.count({ where: { tenantId, sessionId: null } }),
    ]);
    return {
      id: tenant.id,
      name: tenant.name,
      slug: tenant.slug,
      suspendedAt: tenant.suspendedAt?.toISOString() ?? null,
      suspendedReason: tenant.suspendedReason,
      limits: this.deps.limits.withDefaults(tenant),
      ownLimits: { users: tenant.maxUsers, channelSessions: tenant.maxChannelSessions, apiKeys: tenant.maxApiKeys },
      holds: { users, channelSessions, apiKeys },
    };
  }

  /** Sets the limits given (null: back to the server's setting); the others stay. Lowering one below what the team holds removes nothing. */
  async setLimits(team: string, change: LimitsChange): Promise<TeamReport> {
    const parsed = parseInput(limitsInput, change);
    const tenant = await this.find(team);
    const data: Prisma.TenantUpdateInput = {
      ...(parsed.users !== undefined ? { maxUsers: parsed.users } : {}),
      ...(parsed.channelSessions !== undefined ? { maxChannelSessions: parsed.channelSessions } : {}),
      ...(parsed.apiKeys !== undefined ? { maxApiKeys: parsed.apiKeys } : {}),
    };
    await this.deps.outbox.transaction(async (unit) => {
      const updated = await unit.tx.tenant.update({ where: { id: tenant.id }, data });
      const limits = { users: updated.maxUsers, channelSessions: updated.maxChannelSessions, apiKeys: updated.maxApiKeys };
      await this.deps.audit.write({ tenantId: tenant.id, type: 'TENANT_LIMITS_CHANGED', ...OPERATOR, data: limits }, unit);
    });
    return this.report(tenant.id);
  }

  async suspend(team: string, reason: string | null): Promise<TeamReport> {
    const tenant = await this.find(team);
    if (!tenant.suspendedAt) {
      await this.deps.outbox.transaction(async (unit) => {
        await unit.tx.tenant.update({ where: { id: tenant.id }, data: { suspendedAt: new Date(), suspendedReason: reason } });
        await this.deps.audit.write({ tenantId: tenant.id, type: 'TENANT_SUSPENDED', ...OPERATOR, data: { reason } }, unit);
      });
    }
    await this.deps.announce(tenant.id, true);
    return this.report(tenant.id);
  }

  async resume(team: string): Promise<TeamReport> {
    const tenant = await this.find(team);
    if (tenant.suspendedAt) {
      await this.deps.outbox.transaction(async (unit) => {
        await unit.tx.tenant.update({ where: { id: tenant.id }, data: { suspendedAt: null, suspendedReason: null } });
        await this.deps.audit.write({ tenantId: tenant.id, type: 'TENANT_RESUMED', ...OPERATOR, data: {} }, unit);
      });
    }
    await this.deps.announce(tenant.id, false);
    return this.report(tenant.id);
  }
}
