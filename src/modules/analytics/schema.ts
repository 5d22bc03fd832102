import { builder } from '../../schema/builder.ts';
import { LeadIntentEnum, LeadSourceEnum } from '../leads/lead-enums.ts';
import { DEFAULT_RANGE_DAYS, MAX_RANGE_YEARS, type AgentUsageDay, type AnalyticsBucket, type AnalyticsSummary } from './service.ts';

const AnalyticsIntervalEnum = builder.enumType('AnalyticsInterval', {
  description: 'The width of a timeseries bucket, in UTC.',
  values: {
    DAY: { description: 'One bucket per UTC day, from 00:00.' },
    WEEK: { description: 'One bucket per ISO week, from Monday 00:00 UTC.' },
  } as const,
});

const LeadSourceCountRef = builder.objectRef<AnalyticsSummary['leadsBySource'][number]>('LeadSourceCount').implement({
  description: 'How many leads of the range came from one source.',
  fields: (t) => ({
    source: t.expose('source', { type: LeadSourceEnum, description: 'The source.' }),
    count: t.exposeInt('count', { description: 'Leads created in the range with this source; 0 when none.' }),
  }),
});

const LeadIntentCountRef = builder.objectRef<AnalyticsSummary['leadsByIntent'][number]>('LeadIntentCount').implement({
  description: 'How many leads of the range have one intent.',
  fields: (t) => ({
    intent: t.expose('intent', { type: LeadIntentEnum, description: 'The intent.' }),
    count: t.exposeInt('count', { description: 'Leads created in the range with this intent now; 0 when none.' }),
  }),
});

const AnalyticsSummaryRef = builder.objectRef<AnalyticsSummary>('AnalyticsSummary').implement({
  description: "The tenant's figures for a range of time [from, to): what was created from `from` up to, not including, `to`.",
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime', description: 'Start of the range, included.' }),
    to: t.expose('to', { type: 'DateTime', description: 'End of the range, excluded.' }),
    totalLeads: t.exposeInt('totalLeads', { description: 'Leads created in the range.' }),
    leadsBySource: t.field({
      type: [LeadSourceCountRef],
      description: 'Leads created in the range by source: every source, in a fixed order, with zeros.',
      resolve: (summary) => summary.leadsBySource,
    }),
    leadsByIntent: t.field({
      type: [LeadIntentCountRef],
      description: 'Leads created in the range by their current intent: HOT, WARM, COLD, with zeros.',
      resolve: (summary) => summary.leadsByIntent,
    }),
    hotLeadRate: t.exposeFloat('hotLeadRate', { description: 'HOT leads divided by all leads of the range, 0 to 1; 0 when there are none.' }),
    conversations: t.exposeInt('conversations', { description: 'Channel conversations started (first inbound message) in the range.' }),
    messagesIn: t.exposeInt('messagesIn', { description: 'Channel messages received in the range.' }),
    messagesOut: t.exposeInt('messagesOut', { description: 'Channel messages sent in the range.' }),
    medianFirstResponseSeconds: t.exposeFloat('medianFirstResponseSeconds', {
      nullable: true,
      description:
        'Median time from the first inbound message to the first reply, in seconds, over the conversations started in the ' +
        'range that got a reply (interpolated between the middle two when their number is even); null when none did.',
    }),
  }),
});

const AnalyticsBucketRef = builder.objectRef<AnalyticsBucket>('AnalyticsBucket').implement({
  description: 'The figures of one day or week; only what falls inside the requested range counts.',
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: 'Start of the day or week (UTC); the first bucket may start before `from`.' }),
    leads: t.exposeInt('leads', { description: 'Leads created.' }),
    hotLeads: t.exposeInt('hotLeads', { description: 'Of those, the ones whose intent is now HOT.' }),
    conversations: t.exposeInt('conversations', { description: 'Channel conversations started.' }),
    messagesIn: t.exposeInt('messagesIn', { description: 'Channel messages received.' }),
    messagesOut: t.exposeInt('messagesOut', { description: 'Channel messages sent.' }),
  }),
});

const AgentUsageDayRef = builder.objectRef<AgentUsageDay>('AgentUsageDay').implement({
  description: "The tokens one agent's model used on one UTC day, as its provider reported them (OPENAI_COMPATIBLE agents).",
  fields: (t) => ({
    day: t.expose('day', { type: 'DateTime', description: 'Start of the UTC day.' }),
    agentId: t.exposeID('agentId', { description: 'The agent; its usage stays when it is deleted.' }),
    agentName: t.exposeString('agentName', { nullable: true, description: "The agent's name now; null once it is deleted." }),
    calls: t.exposeInt('calls', { description: 'Calls that reported usage: chat replies and channel auto-replies.' }),
    promptTokens: t.exposeInt('promptTokens', { description: 'Tokens sent: system prompts and history.' }),
    completionTokens: t.exposeInt('completionTokens', { description: 'Tokens the model wrote.' }),
  }),
});

const rangeArgs = builder.args((t) => ({
  from: t.field({
    type: 'DateTime',
    description: `Start of the range, included; defaults to ${DEFAULT_RANGE_DAYS} days before \`to\`. Must be before \`to\`, at most ${MAX_RANGE_YEARS} years before.`,
  }),
  to: t.field({ type: 'DateTime', description: 'End of the range, excluded; defaults to now.' }),
}));

builder.queryFields((t) => ({
  analyticsSummary: t.withAuth({ scope: 'analytics:read' }).field({
    type: AnalyticsSummaryRef,
    description: `Lead, conversation and message figures of the tenant for [from, to); by default the last ${DEFAULT_RANGE_DAYS} days.`,
    args: rangeArgs,
    resolve: (_root, args, { services, viewer }) => services.analytics.summary(viewer.tenantId, args),
  }),
  analyticsAgentUsage: t.withAuth({ scope: 'analytics:read' }).field({
    type: [AgentUsageDayRef],
    description:
      `Token usage per agent and UTC day over [from, to) (by default the last ${DEFAULT_RANGE_DAYS} days), oldest first, ` +
      'then by agent id; only days on which an agent used tokens.',
    args: rangeArgs,
    resolve: (_root, range, { services, viewer }) => services.analytics.agentUsage(viewer.tenantId, range),
  }),
  analyticsTimeseries: t.withAuth({ scope: 'analytics:read' }).field({
    type: [AnalyticsBucketRef],
    description:
      `The same figures per UTC day or ISO week over [from, to) (by default the last ${DEFAULT_RANGE_DAYS} days), ` +
      'oldest first, with a bucket for every day or week, empty ones included, for charts without holes.',
    args: {
      ...rangeArgs,
      interval: t.arg({ type: AnalyticsIntervalEnum, defaultValue: 'DAY', description: 'DAY (the default) or WEEK.' }),
    },
    resolve: (_root, { interval, ...range }, { services, viewer }) =>
      services.analytics.timeseries(viewer.tenantId, range, interval ?? 'DAY'),
  }),
}));
