import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { variablesTooDeep } from './variables-depth.ts';

/** Refuses variables nested too deep before validation or a resolver walks them (they recurse). */
export function useVariablesDepth(): Plugin {
  return {
    onParams: ({ params, setResult }) => {
      const error = variablesTooDeep(params.variables);
      if (!error) return;
      setResult({ errors: [new GraphQLError(error.message, { extensions: { code: error.code, field: error.details.field } })] });
    },
  };
}
