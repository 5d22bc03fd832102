import { createCounter, createHistogram, usePrometheus, type FillLabelsFnParams } from '@graphql-yoga/plugin-prometheus';
import { getOperationAST, type DocumentNode } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { Metrics } from './registry.ts';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The code clients get for errors the plugin counts without the error itself. */
const CODE_OF_PHASE: Record<string, string> = { parse: 'GRAPHQL_PARSE_FAILED', validate: 'GRAPHQL_VALIDATION_FAILED' };

/**
 * GraphQL's metrics: Yoga's Prometheus plugin for HTTP and execution durations by operation (and
 * errors by code), with bounded operation names and no URL label (both are the client's to
 * choose: unbounded series); and each operation's outcome, which that plugin does not label.
 */
export function graphqlMetrics(metrics: Metrics): Plugin[] {
  const { registry, operationNames } = metrics;
  const operation = (params: FillLabelsFnParams) => ({
    operationName: operationNames.label(params.operationName),
    operationType: params.operationType ?? 'unknown',
  });
  const prometheus = usePrometheus({
    registry,
    endpoint: false,
    metrics: {
      graphql_yoga_http_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_yoga_http_duration',
          help: 'GraphQL over HTTP (SSE included), from request to response, by operation, method and status',
          labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
          buckets: SECONDS,
        },
        fillLabelsFn: (params, { request, response }: { request: Request; response: Response }) => ({
          ...operation(params),
          method: request.method,
          statusCode: response.status,
        }),
      }),
      graphql_envelop_request_duration: createHistogram({
        registry,
        histogram: {
          name: 'graphql_envelop_request_duration',
          help: 'Execution (or the start of a subscription) by operation, whatever the transport',
          labelNames: ['operationName', 'operationType'],
          buckets: SECONDS,
        },
        fillLabelsFn: operation,
      }),
      graphql_envelop_error_result: createCounter({
        registry,
        counter: {
          name: 'graphql_envelop_error_result',
          help: 'Errors in results by operation, phase and extensions.code',
          labelNames: ['operationName', 'operationType', 'phase', 'code'],
        },
        fillLabelsFn: (params) => ({
          ...operation(params),
          phase: params.errorPhase ?? 'unknown',
          code: String(params.error?.extensions?.code ?? CODE_OF_PHASE[params.errorPhase ?? ''] ?? 'none'),
        }),
      }),
      graphql_envelop_request: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_schema_change: false,
    },
  });
  // Before Yoga's plugin: the operation's name must be admitted before its metrics are labelled.
  const outcomes: Plugin = {
    onExecute: ({ args }) => {
      const definition = getOperationAST(args.document as DocumentNode, args.operationName);
      operationNames.admit(definition?.name?.value);
      return {
        onExecuteDone: (payload) =>
          handleStreamOrSingleExecutionResult(payload, ({ result }) => {
            metrics.observeOperation(definition?.name?.value, definition?.operation ?? 'unknown', !!result.errors?.length);
          }),
      };
    },
    onSubscribe: ({ args }) => operationNames.admit(getOperationAST(args.document as DocumentNode, args.operationName)?.name?.value),
  };
  return [outcomes, prometheus];
}
