import { graphql } from '../generated/gql.ts';

export const AnalyticsSummaryQuery = graphql(`
  query AnalyticsSummary($from: DateTime, $to: DateTime) {
    analyticsSummary(from: $from, to: $to) {
      from to totalLeads hotLeadRate conversations messagesIn messagesOut medianFirstResponseSeconds
      leadsBySource { source count }
      leadsByIntent { intent count }
    }
  }
`);

export const AnalyticsTimeseriesQuery = graphql(`
  query AnalyticsTimeseries($from: DateTime, $to: DateTime, $interval: AnalyticsInterval) {
    analyticsTimeseries(from: $from, to: $to, interval: $interval) {
      start leads hotLeads conversations messagesIn messagesOut
    }
  }
`);
