import { GraphQLError } from 'graphql';
import { AppError, serviceUnavailable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { isBackingServiceOutage } from '../outage.ts';


/** Codes GraphQL itself raises before any resolver runs; these messages are safe to show. */
const GRAPHQL_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND']);

/**
 * The one place errors meet clients: expected AppErrors keep their message and code; anything
 * else is logged with the request id and replaced by a generic message naming that id.
 */
export function maskError(error: unknown, requestId: string, logger: Logger): GraphQLError {
  const graphQLError = error instanceof GraphQLError ? error : null;
  const original = graphQLError?.originalError ?? error;

  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      nodes: graphQLError?.nodes,
      path: graphQLError?.path,
      extensions: {
        code: original.code,
        ...(original.details.field ? { field: original.details.field } : {}),
        ...(original.details.retryAfterSeconds ? { retryAfterSeconds: original.details.retryAfterSeconds } : {}),
        // Yoga answers with this status and leaves `http` out of the JSON.
        ...(original.code === 'SERVICE_UNAVAILABLE' ? { http: { status: 503 } } : {}),
      },
    });
  }
  // Variable coercion wraps a scalar's own GraphQLError (e.g. an unparsable DateTime): still the client's input.
  if (graphQLError && (!graphQLError.originalError || graphQLError.originalError instanceof GraphQLError)) {
    const code = graphQLError.extensions.code;
    return new GraphQLError(graphQLError.message, {
      nodes: graphQLError.nodes,
      path: graphQLError.path,
      extensions: {
        ...graphQLError.extensions,
        code: typeof code === 'string' && (GRAPHQL_CODES.has(code) || code === 'BAD_USER_INPUT') ? code : 'BAD_USER_INPUT',
      },
    });
  }
  if (isBackingServiceOutage(original)) {
    logger.warn({ err: original, requestId, path: graphQLError?.path }, 'a backing service is unavailable');
    return maskError(new GraphQLError('', { nodes: graphQLError?.nodes, path: graphQLError?.path, originalError: serviceUnavailable(requestId) }), requestId, logger);
  }
  logger.error({ err: original, requestId, path: graphQLError?.path }, 'unexpected error');
  return new GraphQLError(`Internal server error (request id ${requestId})`, {
    nodes: graphQLError?.nodes,
    path: graphQLError?.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  });
}
