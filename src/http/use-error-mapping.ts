import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import type { Context } from '../schema/context.ts';
import { maskError } from '../schema/errors.ts';

/**
 * Maps every error in a result, query or subscription event alike, and every error a
 * subscription's stream ends with, to the public shape: expected errors keep their code,
 * unexpected ones are logged with the request id and masked.
 */
export function useErrorMapping(): Plugin<Context> {
  const mapErrors = ({ args, result, setResult }: { args: { contextValue: Context }; result: ExecutionResult; setResult(result: ExecutionResult): void }) => {
    if (!result.errors?.length) return;
    const { requestId, logger } = args.contextValue;
    setResult({ ...result, errors: result.errors.map((error) => maskError(error, requestId, logger)) });
  };
  return {
    onExecute: () => ({
      onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, mapErrors),
    }),
    onSubscribe: ({ args }) => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, mapErrors),
      // What a subscription's stream throws (e.g. Redis went away) reaches the client mapped too;
      // an abort (a DOMException) is left for Yoga, which ends the request with it.
      onSubscribeError: ({ error, setError }) => {
        if (!(error instanceof DOMException)) setError(maskError(error, args.contextValue.requestId, args.contextValue.logger));
      },
    }),
  };
}
