import { randomUUID } from 'node:crypto';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import type { PresentedCredentials } from '../auth/credentials.ts';
import type { Viewer } from '../auth/viewer.ts';
import { AppError, serviceUnavailable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';
import { clientIp } from './context.ts';
import { isBackingServiceOutage } from '../outage.ts';
import { selectsOnlyLiveFields } from '../schema/live-only.ts';
import { credentialsOfOperation, delayUntil, untilCredentialEnds } from './operation-credentials.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';
import { boundUnsentBytes } from './slow-readers.ts';
import { variablesTooDeep } from './variables-depth.ts';
import type { GraphQLServer } from './yoga.ts';

type ConnectionState = {
  viewer?: Viewer | null;
  expiryTimer?: NodeJS.Timeout;
  stopWatching?: () => void;
  /** The key this connection counts against in the per-credential cap, once counted. */
  countedAs?: string;
};

export type WebSocketLimits = {
  maxSubscriptionsPerConnection: number;
  maxConnectionsPerCredential: number;
};

type Enveloped = ReturnType<GraphQLServer['getEnveloped']>;

/**
 * How graphql-ws runs an operation, carried as its `rootValue`. The context is made when the
 * operation runs, not when it is accepted: a subscriber joining a shared execution never needs one.
 */
type OperationPlan = {
  execute: Enveloped['execute'];
  subscribe: Enveloped['subscribe'];
  contextFactory: Enveloped['contextFactory'];
  /** Set when subscribers with the same key may share one execution. */
  shareKey: string | null;
  /** Sends a shared execution's result, serialised once for every member, as this operation's `next`. */
  deliver: (resultJson: string) => void;
  /** The operation's own credential (`extensions.headers`), which ends its subscription when it ends. */
  operationViewer: Viewer | null;
};

/** Close codes this server uses besides graphql-ws's own (`CloseCode`). */
export const PolicyCloseCode = {
  /** The credential already has as many open connections as it may (WebSocket's "policy violation"). */
  TooManyConnections: 1008,
  /** A backing service is down; clients retry (WebSocket's "try again later"). */
  TryAgainLater: 1013,
} as const;

/**
 * Serves graphql-ws on the WebSocket server. Credentials come in `connection_init`
 * (`{ authorization: "Bearer ..." }` or `{ apiKey: "sk_..." }`); bad ones close the socket with
 * 4401. When the credential is revoked (key deactivated or deleted, session logged out) the
 * socket closes with 4401, for good; when it expires, with 4403, which clients retry with a fresh
 * one. An operation may bring its own, in `extensions.headers` as GraphiQL sends them
 * (operation-credentials.ts).
 * Every operation runs through Yoga's envelop, with the same plugins and context as HTTP.
 */
export function serveGraphQLOverWebSocket(
  wsServer: WebSocketServer,
  deps: { yoga: GraphQLServer; services: Services; logger: Logger; trustProxy: boolean; limits: WebSocketLimits },
) {
  const { yoga, services, logger, limits } = deps;
  const connectionsPer = new Map<string, number>();
  const watchRevocations = services.revocations.watch.bind(services.revocations);
  const shared = new SharedSubscriptions();
  boundUnsentBytes(wsServer);
  const subscribe = async (plan: OperationPlan, args: ExecutionArgs) => {
    const run = async () => plan.subscribe({ ...args, contextValue: await plan.contextFactory() });
    const results: AsyncIterable<ExecutionResult> | ExecutionResult = plan.shareKey
      ? await shared.join(plan.shareKey, run, plan.deliver)
      : await run();
    if (!plan.operationViewer || !(Symbol.asyncIterator in results)) return results;
    return untilCredentialEnds(results, plan.operationViewer, watchRevocations);
  };
  return useServer<Record<string, unknown> | undefined, ConnectionState>(
    {
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        try {
          const viewer = await services.credentials.resolve(presentedIn(params));
          const counted = connectionKey(viewer, clientIp(ctx.extra.request, deps.trustProxy));
          const open = connectionsPer.get(counted) ?? 0;
          if (open >= limits.maxConnectionsPerCredential) {
            const reason = `Too many open connections for this credential (at most ${limits.maxConnectionsPerCredential})`;
            ctx.extra.socket.close(PolicyCloseCode.TooManyConnections, reason);
            return false;
          }
          connectionsPer.set(counted, open + 1);
          ctx.extra.countedAs = counted;
          ctx.extra.viewer = viewer;
          const expiresAt = viewer?.credential.expiresAt;
          if (expiresAt) {
            // 4403, which graphql-ws clients retry: they reconnect with what `connectionParams` gives
            // them now, a refreshed token. 4401, which they do not retry, is for credentials that end for good.
            ctx.extra.expiryTimer = setTimeout(
              () => ctx.extra.socket.close(CloseCode.Forbidden, 'Credential expired: connect again with a fresh one'),
              delayUntil(expiresAt),
            );
          }
          if (viewer) {
            ctx.extra.stopWatching = services.revocations.watch(viewer, (effect) =>
              effect === 'revoked'
                ? ctx.extra.socket.close(CloseCode.Unauthorized, 'Credential revoked')
                : // Not 4401: the credential still works, and clients reconnect on 4403 to pick up what it holds now.
                  ctx.extra.socket.close(CloseCode.Forbidden, 'Credential rights changed: connect again'),
            );
          }
          return true;
        } catch (error) {
          if (isBackingServiceOutage(error)) {
            logger.warn({ err: error }, 'could not authenticate a WebSocket connection: a backing service is unavailable');
            ctx.extra.socket.close(PolicyCloseCode.TryAgainLater, 'A service is unavailable; connect again shortly');
            return false;
          }
          if (!(error instanceof AppError)) logger.error({ err: error }, 'could not authenticate a WebSocket connection');
          const reason = error instanceof AppError ? error.message : 'Could not authenticate';
          ctx.extra.socket.close(error instanceof AppError && error.code === 'FORBIDDEN' ? CloseCode.Forbidden : CloseCode.Unauthorized, reason);
          return false;
        }
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiryTimer);
        ctx.extra.stopWatching?.();
        const counted = ctx.extra.countedAs;
        if (counted) {
          const open = (connectionsPer.get(counted) ?? 1) - 1;
          if (open > 0) connectionsPer.set(counted, open);
          else connectionsPer.delete(counted);
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws registers the operation before calling this hook, so it counts itself.
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`Too many operations on this connection (at most ${limits.maxSubscriptionsPerConnection})`, {
              extensions: { code: 'RATE_LIMITED' },
            }),
          ];
        }
        const tooDeep = variablesTooDeep(payload.variables);
        if (tooDeep) return [new GraphQLError(tooDeep.message, { extensions: { code: tooDeep.code, field: tooDeep.details.field } })];
        const requestId = randomUUID();
        const ownCredentials = credentialsOfOperation(payload.extensions);
        let operationViewer: Viewer | null = null;
        if (ownCredentials) {
          try {
            operationViewer = await services.credentials.resolve(ownCredentials);
          } catch (error) {
            const refusal = isBackingServiceOutage(error) ? serviceUnavailable(requestId) : error;
            if (!(refusal instanceof AppError)) logger.error({ err: error, requestId }, 'could not authenticate an operation');
            const { code, message } = refusal instanceof AppError ? refusal : { code: 'UNAUTHENTICATED', message: 'Could not authenticate' };
            return [new GraphQLError(message, { extensions: { code } })];
          }
        }
        const viewer = operationViewer ?? ctx.extra.viewer ?? null;
        const { schema, execute, subscribe: subscribeEnveloped, contextFactory, parse, validate } = yoga.getEnveloped({
          requestId,
          ip: clientIp(ctx.extra.request, deps.trustProxy),
          connectionViewer: viewer,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        const shareable = selectsOnlyLiveFields(schema, document, payload.operationName);
        const plan: OperationPlan = {
          execute,
          subscribe: subscribeEnveloped,
          contextFactory,
          shareKey: shareable ? JSON.stringify([payload.query, payload.operationName ?? null, payload.variables ?? null, rightsOf(viewer)]) : null,
          // The message graphql-ws would send, without its per-subscriber serialisation and promise chain.
          deliver: (resultJson) => ctx.extra.socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${resultJson}}`),
          operationViewer,
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          rootValue: plan,
        };
        return args;
      },
      execute: async (args) => {
        const plan = args.rootValue as OperationPlan;
        return plan.execute({ ...args, contextValue: await plan.contextFactory() });
      },
      subscribe: (args) => subscribe(args.rootValue as OperationPlan, args),
    },
    wsServer,
  );
}

/**
 * Reads `{ authorization }` or `{ apiKey }`; also `{ headers: { Authorization } }`, which is what
 * GraphiQL and other tools that forward their HTTP headers put in `connection_init`.
 */
function presentedIn(params: Record<string, unknown>): PresentedCredentials {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const headers = params.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  const pick = (source: Record<string, unknown>, ...names: string[]) =>
    names.map((name) => text(source[name])).find((value) => value !== null) ?? null;
  return {
    authorization: pick(params, 'authorization', 'Authorization') ?? pick(headers, 'authorization', 'Authorization'),
    apiKey: pick(params, 'apiKey', 'x-api-key') ?? pick(headers, 'x-api-key', 'X-API-Key'),
  };
}

/**
 * Everything about a viewer that a result may depend on: who, in which tenant, with which role,
 * scopes and channel session. Not the credential itself: two sign-ins of one user share.
 */
function rightsOf(viewer: Viewer | null): unknown {
  if (!viewer) return null;
  const { credential } = viewer;
  return [
    viewer.tenantId,
    viewer.userId,
    viewer.role,
    credential.kind,
    credential.kind === 'apiKey' ? [...credential.scopes].sort() : null,
    credential.kind === 'apiKey' ? credential.channelSessionId : null,
  ];
}

/** What a connection counts against: its credential, or its address when anonymous. */
function connectionKey(viewer: Viewer | null, ip: string | null): string {
  if (!viewer) return `address:${ip ?? 'unknown'}`;
  return viewer.credential.kind === 'apiKey' ? `key:${viewer.credential.apiKeyId}` : `session:${viewer.credential.sessionId}`;
}
