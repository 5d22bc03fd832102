import type { ExecutionResult } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

/** graphql-js's hints: `Did you mean "x"?`, `Did you mean the enum value "Y"?`, `Did you mean to use an inline fragment on "Z"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions<E extends Error>(error: E): E {
  if (error.message.includes('Did you mean')) error.message = error.message.replace(SUGGESTION, '');
  return error;
}

function stripResult({ result, setResult }: { result: ExecutionResult; setResult(result: ExecutionResult): void }) {
  if (result.errors?.length) setResult({ ...result, errors: result.errors.map(withoutSuggestions) });
}

/**
 * Removes "Did you mean …?" from validation errors and from the variable errors execution
 * reports: with introspection off, they would still spell out the schema a name at a time.
 */
export function useHiddenSuggestions<Context extends Record<string, unknown>>(): Plugin<Context> {
  return {
    onValidate: () => ({ valid, result, setResult }) => {
      if (!valid) setResult(result.map(withoutSuggestions));
    },
    onExecute: () => ({ onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) }),
    onSubscribe: () => ({ onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) }),
  };
}
