import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationContext } from 'graphql';
import { createYoga, type CORSOptions, type Plugin } from 'graphql-yoga';
import { GRAPHQL_PATH } from '../auth/cookies.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { graphqlMetrics } from '../metrics/graphql-metrics.ts';
import { useOperationSpans } from './use-operation-spans.ts';
import type { Metrics } from '../metrics/registry.ts';
import { schema } from '../schema/index.ts';
import { buildContext, type ContextDependencies, type TransportContext } from './context.ts';
import { renderGraphiQL } from './graphiql.ts';
import { persistedOperations, type TrustedDocuments } from './persisted-operations.ts';
import { useAccessLogOperation } from './use-access-log-operation.ts';
import { useErrorMapping } from './use-error-mapping.ts';
import { useGenericBodyErrors } from './use-generic-body-errors.ts';
import { useHiddenSuggestions } from './use-hidden-suggestions.ts';
import { useNoIntrospection } from './use-no-introspection.ts';
import { useResponseCookies } from './use-response-cookies.ts';
import { useSubscriptionCredentials } from './use-subscription-credentials.ts';
import { useVariablesDepth } from './use-variables-depth.ts';

/** Limits that keep one operation from costing the server more than a page of work. */
const operationLimits = { maxDepth: 12, maxAliases: 20, maxCost: 5000, maxTokens: 2000 };

/**
 * An operation over a limit is a validation failure like any other: reported to the validation
 * context (so it answers 400 with GRAPHQL_VALIDATION_FAILED, over HTTP and WebSocket alike)
 * instead of thrown out of `validate`, which left it without a code.
 */
const rejectAsValidationError = {
  propagateOnRejection: false,
  onReject: [
    (context: ValidationContext | null, error: GraphQLError) =>
      context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''))),
  ],
};

const ANONYMOUS_HEADERS = ['content-type', 'x-request-id'];
/** Headers that carry a credential (with cookies), which only origins in CORS_ORIGINS may send. */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'x-csrf-token'];

/**
 * CORS per request. Origins in CORS_ORIGINS (the product's own frontends) may send credentials.
 * Any other origin (a website embedding the chat widget) may make anonymous requests only: the
 * answer never allows credentials, so a browser refuses a credentialed request at its preflight
 * and withholds the response, and a request or preflight with a credential header gets no CORS
 * headers at all. What is left, any HTTP client could already do outside a browser; the public
 * widget operations check the Origin against their session's allowed origins themselves.
 */
function corsPolicy(trustedOrigins: readonly string[]) {
  return (request: Request): CORSOptions => {
    const origin = request.headers.get('origin');
    // '*' makes the plugin echo the request's origin with `Vary: Origin`; both branches have decided it may have it.
    if (origin && trustedOrigins.includes(origin)) {
      return { origin: ['*'], credentials: true, allowedHeaders: [...ANONYMOUS_HEADERS, ...CREDENTIAL_HEADERS] };
    }
    const asked = (request.headers.get('access-control-request-headers') ?? '').toLowerCase().split(',').map((name) => name.trim());
    if (['cookie', ...CREDENTIAL_HEADERS].some((name) => request.headers.has(name) || asked.includes(name))) return false;
    return { origin: ['*'], credentials: false, allowedHeaders: ANONYMOUS_HEADERS, methods: ['GET', 'POST'] };
  };
}

export function createGraphQLServer(
  config: Config,
  deps: ContextDependencies & { logger: Logger; trustedDocuments?: TrustedDocuments; metrics?: Metrics },
) {
  return createYoga<TransportContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // routes.ts already refuses bodies over MAX_BODY_BYTES (by Content-Length, which Node's parser
    // enforces, and by counting a chunked body as it reads it); GET bodies never reach Yoga. Yoga's own limit
    // pipes every body through a web TransformStream, which cost ~200 µs of CPU per request.
    maxRequestBodySize: false,
    graphiql: config.graphiql
      ? { title: 'Conversational backend', subscriptionsProtocol: 'WS', credentials: 'same-origin' }
      : false,
    renderGraphiQL,
    cors: corsPolicy(config.corsOrigins),
    logging: {
      debug: (...args) => deps.logger.debug(args.join(' ')),
      info: (...args) => deps.logger.info(args.join(' ')),
      warn: (...args) => deps.logger.warn(args.join(' ')),
      error: (...args) => deps.logger.error(args.join(' ')),
    },
    context: (transport) => buildContext(transport, deps),
    plugins: [
      useGenericBodyErrors(),
      useAccessLogOperation(),
      ...productionSwitches(config),
      ...persistedOperations<TransportContext>(deps.trustedDocuments),
      maxTokensPlugin({ n: operationLimits.maxTokens }),
      maxDepthPlugin({ n: operationLimits.maxDepth, exposeLimits: true, ...rejectAsValidationError }),
      maxAliasesPlugin({ n: operationLimits.maxAliases, exposeLimits: true, ...rejectAsValidationError }),
      costLimitPlugin({ maxCost: operationLimits.maxCost, exposeLimits: true, ...rejectAsValidationError }),
      useVariablesDepth(),
      useErrorMapping(),
      useResponseCookies(),
      useSubscriptionCredentials((viewer, onRevoked) => deps.services.revocations.watch(viewer, onRevoked)),
      // Last: they see results as clients get them, errors with their codes.
      ...(config.tracing.enabled ? [useOperationSpans()] : []),
      ...(deps.metrics ? graphqlMetrics(deps.metrics) : []),
    ],
  });
}

/** What production hides: the schema by introspection, and by "Did you mean …?" in errors (see Config). */
function productionSwitches(config: Config): Plugin<TransportContext>[] {
  return [
    ...(config.introspection ? [] : [useNoIntrospection<TransportContext>()]),
    ...(config.fieldSuggestions ? [] : [useHiddenSuggestions<TransportContext>()]),
  ];
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;
