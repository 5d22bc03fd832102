import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

/** graphql-js's hints: `Did you mean "x"?`, `Did you mean the enum value "Y"?`, `Did you mean to use an inline fragment on "Z"?`. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestions<E extends Error>(error: E): E {
  if (SUGGESTION.test(error.message)) error.message = error.message.replace(SUGGESTION, '');
  SUGGESTION.lastIndex = 0;
  return error;
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
    onExecute: () => ({
      onExecuteDone: (payload) =>
        handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
          if (result.errors?.length) setResult({ ...result, errors: result.errors.map(withoutSuggestions) });
        }),
    }),
  };
}
