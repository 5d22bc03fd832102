import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Refuses `__schema` and `__type` as validation errors, over HTTP and graphql-ws alike (Yoga's
 * own plugin decides per HTTP request, so operations on a socket would get through).
 */
export function useNoIntrospection<Context extends Record<string, unknown>>(): Plugin<Context> {
  return {
    onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
  };
}
