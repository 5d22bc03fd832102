import { randomUUID } from 'node:crypto';
import { getOperationAST, GraphQLError, Kind, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode, type Context } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import type { Viewer } from '../auth/viewer.ts';
import { AppError, serviceUnavailable } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';
import { clientIp } from './context.ts';
import { isBackingServiceOutage } from '../outage.ts';
import { HandoverRelay, OperationHandovers } from './operation-handover.ts';
import { credentialsOfOperation, delayUntil, untilCredentialEnds } from './operation-credentials.ts';
import { SharedSubscriptions } from './shared-subscriptions.ts';
import { sharingOf, type Sharing } from './sharing.ts';
import { boundUnsentBytes } from './slow-readers.ts';
import { connectionKey, presentedIn, rightsOf } from './socket-identity.ts';
import { variablesTooDeep } from './variables-depth.ts';
import type { GraphQLServer } from './yoga.ts';

type ConnectionState = {
  viewer?: Viewer | null;
  expiryTimer?: NodeJS.Timeout;
  stopWatching?: () => void;
  /** The key this connection counts against in the per-credential cap, once counted. */
  countedAs?: string;
  /** Subscriptions another socket of the same client may take over, by handover key. */
  handoverable?: Map<string, HandoverRelay>;
  /** The root field of each subscription started on this connection, by operation id (for metrics). */
  subscribedFields?: Map<string, string>;
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
  /** Set when subscribers may share one execution. */
  sharing: Sharing | null;
  /** Sends a shared execution's result, serialised once for every member, as this operation's `next`. */
  deliver: (resultJson: string) => void;
  /** The operation's own credential (`extensions.headers`), which ends its subscription when it ends. */
  operationViewer: Viewer | null;
  /** Set when the subscription may be parked at the connection's credential expiry and taken over by the client's retry. */
  handover: { key: string; handoverable: Map<string, HandoverRelay> } | null;
};

type Handover = NonNullable<OperationPlan['handover']>;

function trackHandoverable({ key, handoverable }: Handover, relay: HandoverRelay): HandoverRelay {
  handoverable.set(key, relay);
  return relay;
}

function untrack({ key, handoverable }: Handover, relay: HandoverRelay): () => void {
  return () => {
    if (handoverable.get(key) === relay) handoverable.delete(key);
  };
}

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
 * one, and its subscriptions are parked meanwhile for the retry to take over (operation-handover.ts).
 * An operation may bring its own, in `extensions.headers` as GraphiQL sends them
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
  const handovers = new OperationHandovers();
  boundUnsentBytes(wsServer);
  const connections = new Set<Context<Record<string, unknown> | undefined, ConnectionState>>();
  const subscribe = async (plan: OperationPlan, args: ExecutionArgs) => {
    const { handover } = plan;
    const parked = handover && handovers.claim(handover.key);
    if (parked) return trackHandoverable(handover, parked).attach(plan.deliver, untrack(handover, parked));
    const relay = handover ? new HandoverRelay(plan.deliver) : null;
    const run = async (variableValues: ExecutionArgs['variableValues']) =>
      plan.subscribe({ ...args, variableValues, contextValue: await plan.contextFactory() });
    const { sharing } = plan;
    const results: AsyncIterable<ExecutionResult> | ExecutionResult = sharing
      ? await shared.join(sharing.key, () => run(sharing.variables), relay?.deliver ?? plan.deliver, sharing.from)
      : await run(args.variableValues);
    if (!(Symbol.asyncIterator in results)) return results;
    if (plan.operationViewer) return untilCredentialEnds(results, plan.operationViewer, watchRevocations);
    if (!relay || !handover) return results;
    return trackHandoverable(handover, relay).relay(results, untrack(handover, relay));
  };
  const parkAndClose = (state: ConnectionState, socket: { close(code: number, reason: string): void }) => {
    for (const [key, relay] of state.handoverable ?? []) handovers.park(key, relay);
    state.handoverable?.clear();
    socket.close(CloseCode.Forbidden, 'Credential expired: connect again with a fresh one');
  };
  useServer<Record<string, unknown> | undefined, ConnectionState>(
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
            ctx.extra.handoverable = new Map();
            ctx.extra.expiryTimer = setTimeout(() => parkAndClose(ctx.extra, ctx.extra.socket), delayUntil(expiresAt));
          }
          if (viewer) {
            ctx.extra.stopWatching = services.revocations.watch(viewer, (effect) => {
              if (effect === 'narrowed') {
                // Not 4401: the credential still works, and clients reconnect on 4403 to pick up what it holds now.
                ctx.extra.socket.close(CloseCode.Forbidden, 'Credential rights changed: connect again');
              } else {
                ctx.extra.socket.close(CloseCode.Unauthorized, effect === 'suspended' ? 'Team suspended' : 'Credential revoked');
              }
            });
          }
          connections.add(ctx);
          logger.info({ tenantId: viewer?.tenantId, userId: viewer?.userId, credential: viewer?.credential.kind ?? 'none' }, 'websocket connected');
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
      onComplete: (ctx, id) => {
        ctx.extra.subscribedFields?.delete(id);
      },
      onClose: (ctx, code, reason) => {
        if (connections.delete(ctx)) logger.info({ tenantId: ctx.extra.viewer?.tenantId, userId: ctx.extra.viewer?.userId, code, reason }, 'websocket closed');
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
        const operation = getOperationAST(document, payload.operationName);
        const rootField = operation?.selectionSet.selections[0];
        if (operation?.operation === 'subscription' && rootField?.kind === Kind.FIELD) {
          (ctx.extra.subscribedFields ??= new Map()).set(id, rootField.name.value);
        }
        const plan: OperationPlan = {
          execute,
          subscribe: subscribeEnveloped,
          contextFactory,
          sharing: sharingOf(schema, document, payload, rightsOf(viewer)),
          // The message graphql-ws would send, without its per-subscriber serialisation and promise chain.
          deliver: (resultJson) => ctx.extra.socket.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${resultJson}}`),
          operationViewer,
          handover:
            viewer && !operationViewer && ctx.extra.handoverable
              ? {
                  key: JSON.stringify([connectionKey(viewer, null), rightsOf(viewer), id, payload]),
                  handoverable: ctx.extra.handoverable,
                }
              : null,
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
  return {
    stopParkedSubscriptions: () => handovers.stopAll(),
    /** Subscriptions running on this instance's sockets, by root field. */
    subscriptionsByField(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const { subscriptions, extra } of connections) {
        for (const id of Object.keys(subscriptions)) {
          const field = extra.subscribedFields?.get(id);
          if (field) counts.set(field, (counts.get(field) ?? 0) + 1);
        }
      }
      return counts;
    },
  };
}
