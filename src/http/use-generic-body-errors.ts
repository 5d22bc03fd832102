import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/**
 * A body that does not parse answers 400 BAD_REQUEST with one fixed message, instead of Yoga's,
 * which carries the JSON parser's own text (and, outside production, the body it choked on).
 */
export function useGenericBodyErrors(): Plugin {
  return {
    onRequestParse: ({ requestParser, setRequestParser }) => {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (!isParseFailure(error)) throw error;
          throw createGraphQLError('The request body is not valid JSON', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
        }
      });
    },
  };
}

/** Yoga reports the JSON parser's error in `extensions.originalError`. */
function isParseFailure(error: unknown): boolean {
  return error instanceof SyntaxError || (error instanceof GraphQLError && error.extensions.originalError !== undefined);
}
