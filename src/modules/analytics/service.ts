import { badInput } from '../../errors.ts';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.ts';
import { LeadIntent, LeadSource } from '../../generated/prisma/enums.ts';

export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_YEARS = 2;

export type AnalyticsRangeInput = { from?: Date | null; to?: Date | null };
export type AnalyticsRange = { from: Date; to: Date };
export type AnalyticsInterval = 'DAY' | 'WEEK';

export type AnalyticsSummary = AnalyticsRange & {
  totalLeads: number;
  leadsBySource: { source: LeadSource; count: number }[];
  leadsByIntent: { intent: LeadIntent; count: number }[];
  /** HOT leads / all leads; 0 when there are none. */
  hotLeadRate: number;
  conversations: number;
  messagesIn: number;
  messagesOut: number;
  medianFirstResponseSeconds: number | null;
};

export type AnalyticsBucket = {
  start: Date;
  leads: number;
  hotLeads: number;
  conversations: number;
  messagesIn: number;
  messagesOut: number;
};

/** The tokens one agent's model used on one UTC day. */
export type AgentUsageDay = {
  day: Date;
  agentId: string;
  /** Null once the agent is deleted: its usage stays. */
  agentName: string | null;
  calls: number;
  promptTokens: number;
  completionTokens: number;
};

/** date_trunc units: UTC days, ISO weeks (starting on Monday). */
const UNITS = { DAY: { unit: 'day', step: '1 day' }, WEEK: { unit: 'week', step: '1 week' } } as const;

type SummaryRow = {
  lead_groups: { source: LeadSource; intent: LeadIntent; count: number }[];
  conversations: number;
  median_first_response_seconds: number | null;
  messages_in: number;
  messages_out: number;
};

type BucketRow = { start: Date; leads: number; hot_leads: number; conversations: number; messages_in: number; messages_out: number };

/**
 * A tenant's leads, conversations and channel messages counted over a half-open range
 * [from, to) of creation times, in SQL. Timestamps are stored and bucketed in UTC.
 */
export class AnalyticsService {
  constructor(private readonly prisma: PrismaClient) {}

  async summary(tenantId: string, input: AnalyticsRangeInput): Promise<AnalyticsSummary> {
    const { from, to } = this.range(input);
    // One statement: every figure is read from the same snapshot.
    const [row] = await this.read<[SummaryRow]>(Prisma.sql`
      WITH lead_groups AS (
        SELECT source, intent, count(*)::int AS count
          FROM leads
         WHERE tenant_id = ${tenantId} AND created_at >= ${from}::timestamp AND created_at < ${to}::timestamp
         GROUP BY source, intent
      ), conversations AS (
        -- percentile_cont skips the NULLs of conversations nobody answered yet.
        SELECT count(*)::int AS conversations,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', first_response_at - created_at))
                 AS median_first_response_seconds
          FROM channel_conversations
         WHERE tenant_id = ${tenantId} AND created_at >= ${from}::timestamp AND created_at < ${to}::timestamp
      ), messages AS (
        SELECT count(*) FILTER (WHERE direction = 'INBOUND')::int AS messages_in,
               count(*) FILTER (WHERE direction = 'OUTBOUND')::int AS messages_out
          FROM channel_messages
         WHERE tenant_id = ${tenantId} AND created_at >= ${from}::timestamp AND created_at < ${to}::timestamp
      )
      SELECT (SELECT coalesce(json_agg(lead_groups), '[]') FROM lead_groups) AS lead_groups, conversations.*, messages.*
        FROM conversations, messages`);
    const count = (match: (group: SummaryRow['lead_groups'][number]) => boolean) =>
      row.lead_groups.filter(match).reduce((sum, group) => sum + group.count, 0);
    const totalLeads = count(() => true);
    const hotLeads = count((group) => group.intent === LeadIntent.HOT);
    return {
      from,
      to,
      totalLeads,
      leadsBySource: Object.values(LeadSource).map((source) => ({ source, count: count((group) => group.source === source) })),
      leadsByIntent: Object.values(LeadIntent).map((intent) => ({ intent, count: count((group) => group.intent === intent) })),
      hotLeadRate: totalLeads === 0 ? 0 : hotLeads / totalLeads,
      conversations: row.conversations,
      messagesIn: row.messages_in,
      messagesOut: row.messages_out,
      medianFirstResponseSeconds: row.median_first_response_seconds,
    };
  }

  /**
   * One bucket per UTC day or ISO week that overlaps [from, to), oldest first, empty ones
   * included; the first starts at or before `from`, but only what happened from `from` on counts.
   */
  async timeseries(tenantId: string, input: AnalyticsRangeInput, interval: AnalyticsInterval = 'DAY'): Promise<AnalyticsBucket[]> {
    const { from, to } = this.range(input);
    const { unit, step } = UNITS[interval];
    // Each bucket counts its own slice [lo, hi) through the (tenant_id, created_at ...) indexes. A
    // GROUP BY date_trunc(...) instead reads as many groups as distinct timestamps into the planner's
    // estimate, and sorts a million rows on disk to make 53 weeks.
    const rows = await this.read<BucketRow[]>(Prisma.sql`
      SELECT b.start, l.leads, l.hot_leads, c.conversations, m.messages_in, m.messages_out
        FROM generate_series(date_trunc(${unit}, ${from}::timestamp), ${to}::timestamp, ${step}::interval) AS b(start)
       CROSS JOIN LATERAL (
         SELECT greatest(b.start, ${from}::timestamp) AS lo, least(b.start + ${step}::interval, ${to}::timestamp) AS hi
       ) AS slice
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS leads, count(*) FILTER (WHERE intent = 'HOT')::int AS hot_leads
           FROM leads
          WHERE tenant_id = ${tenantId} AND created_at >= slice.lo AND created_at < slice.hi
       ) AS l
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS conversations
           FROM channel_conversations
          WHERE tenant_id = ${tenantId} AND created_at >= slice.lo AND created_at < slice.hi
       ) AS c
       CROSS JOIN LATERAL (
         SELECT count(*) FILTER (WHERE direction = 'INBOUND')::int AS messages_in,
                count(*) FILTER (WHERE direction = 'OUTBOUND')::int AS messages_out
           FROM channel_messages
          WHERE tenant_id = ${tenantId} AND created_at >= slice.lo AND created_at < slice.hi
       ) AS m
       WHERE b.start < ${to}::timestamp
       ORDER BY b.start`);
    return rows.map((row) => ({
      start: row.start,
      leads: row.leads,
      hotLeads: row.hot_leads,
      conversations: row.conversations,
      messagesIn: row.messages_in,
      messagesOut: row.messages_out,
    }));
  }

  /** Token usage per agent and UTC day over [from, to), oldest day first; only days and agents with usage. */
  async agentUsage(tenantId: string, input: AnalyticsRangeInput): Promise<AgentUsageDay[]> {
    const { from, to } = this.range(input);
    const rows = await this.read<{ day: Date; agent_id: string; agent_name: string | null; calls: number; prompt_tokens: number; completion_tokens: number }[]>(Prisma.sql`
      SELECT u.day, u.agent_id, a.name AS agent_name, u.calls, u.prompt_tokens, u.completion_tokens
        FROM (
          SELECT date_trunc('day', created_at) AS day, agent_id, count(*)::int AS calls,
                 sum(prompt_tokens)::int AS prompt_tokens, sum(completion_tokens)::int AS completion_tokens
            FROM agent_usage
           WHERE tenant_id = ${tenantId} AND created_at >= ${from}::timestamp AND created_at < ${to}::timestamp
           GROUP BY 1, 2
        ) AS u
        LEFT JOIN agents a ON a.id = u.agent_id AND a.tenant_id = ${tenantId}
       ORDER BY u.day, u.agent_id`);
    return rows.map((row) => ({
      day: row.day,
      agentId: row.agent_id,
      agentName: row.agent_name,
      calls: row.calls,
      promptTokens: row.prompt_tokens,
      completionTokens: row.completion_tokens,
    }));
  }

  /**
   * Runs one statement with JIT compilation off: Postgres (jit = on by default) compiles plans this
   * large at a cost (0.3 s and more) above what it saves on them.
   */
  private async read<Rows>(statement: Prisma.Sql): Promise<Rows> {
    const [, rows] = await this.prisma.$transaction([
      this.prisma.$executeRaw`SET LOCAL jit = off`,
      this.prisma.$queryRaw<Rows>(statement),
    ]);
    return rows;
  }

  /** `to` defaults to now and `from` to DEFAULT_RANGE_DAYS before `to`; from < to, at most MAX_RANGE_YEARS apart. */
  private range({ from, to }: AnalyticsRangeInput): AnalyticsRange {
    const end = to ?? new Date();
    const start = from ?? new Date(end.getTime() - DEFAULT_RANGE_DAYS * 86_400_000);
    if (start.getTime() >= end.getTime()) throw badInput('from', 'from must be before to');
    const earliest = new Date(end);
    earliest.setUTCFullYear(earliest.getUTCFullYear() - MAX_RANGE_YEARS);
    if (start.getTime() < earliest.getTime()) {
      throw badInput('from', `from must be at most ${MAX_RANGE_YEARS} years before to`);
    }
    return { from: start, to: end };
  }
}
