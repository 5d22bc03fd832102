import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import type { Context } from '../schema/context.ts';
import { maskError } from '../schema/errors.ts';

/**
 * Maps every error in a result, query or subscription event alike, to the public shape:
 * expected errors keep their code, unexpected ones are logged with the request id and masked.
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
    onSubscribe: () => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, mapErrors),
    }),
  };
}
