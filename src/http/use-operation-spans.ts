import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { DocumentNode, ExecutionArgs } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import { describeOperation } from './operation-name.ts';
import { tracer } from '../tracing/spans.ts';

/**
 * One span per GraphQL operation, over any transport, named `query Me` and the like, active while
 * it executes so that its database queries and agent calls are its children. A result with errors
 * marks it as an error, with their codes.
 */
export function useOperationSpans(): Plugin {
  const start = (args: ExecutionArgs) => {
    const { type, name } = describeOperation(args.document as DocumentNode, args.operationName);
    return tracer.startSpan(`${type} ${name ?? 'anonymous'}`, {
      kind: SpanKind.SERVER,
      attributes: { 'graphql.operation.type': type, ...(name ? { 'graphql.operation.name': name } : {}) },
    });
  };
  return {
    onExecute: ({ args, executeFn, setExecuteFn }) => {
      const span = start(args);
      setExecuteFn((executionArgs) => context.with(trace.setSpan(context.active(), span), () => executeFn(executionArgs)));
      return {
        onExecuteDone: (payload) =>
          handleStreamOrSingleExecutionResult(payload, ({ result }) => {
            if (result.errors?.length) {
              const codes = result.errors.map((error) => String(error.extensions?.code ?? 'none'));
              span.setAttribute('graphql.error.codes', codes);
              span.setStatus({ code: SpanStatusCode.ERROR, message: codes.join(',') });
            }
            span.end();
          }),
      };
    },
    onSubscribe: ({ args, subscribeFn, setSubscribeFn }) => {
      const span = start(args);
      setSubscribeFn((subscribeArgs) => context.with(trace.setSpan(context.active(), span), () => subscribeFn(subscribeArgs)));
      return { onSubscribeResult: () => void span.end(), onSubscribeError: () => void span.end() };
    },
  };
}
