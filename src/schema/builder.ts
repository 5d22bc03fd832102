import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Scope } from '../auth/scopes.ts';
import { boundSessionOf, hasScope } from '../auth/viewer.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import type { AuthenticatedContext, Context } from './context.ts';
import { describeAuthFailure } from './auth-failure.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { authenticated: boolean; admin: boolean; scope: Scope };
  AuthContexts: { authenticated: AuthenticatedContext; admin: AuthenticatedContext; scope: AuthenticatedContext };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    File: { Input: File; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (context) => ({
      // A session API key is a credential for one channel session's operations, not for the account (`me`, `tenant`).
      authenticated: context.viewer !== null && boundSessionOf(context.viewer) === null,
      admin: context.viewer?.role === 'ADMIN',
      scope: (scope: Scope) => context.viewer !== null && hasScope(context.viewer, scope),
    }),
    unauthorizedError: (_parent, context, _info, result) => describeAuthFailure(context, result.failure),
  },
  prisma: {
    client: (context) => context.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'warn',
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    pageInfoTypeOptions: { description: 'Where a page sits in its list (Relay cursor connections).' },
    hasNextPageFieldOptions: { description: 'Whether more items follow, reachable with `after: endCursor`.' },
    hasPreviousPageFieldOptions: { description: 'Whether items come before, reachable with `before: startCursor`.' },
    startCursorFieldOptions: { description: 'Cursor of the first item of the page.' },
    endCursorFieldOptions: { description: 'Cursor of the last item of the page.' },
    firstArgOptions: { description: 'How many items to return from the start (or after `after`).' },
    lastArgOptions: { description: 'How many items to return from the end (or before `before`).' },
    afterArgOptions: { description: 'Return items after this cursor.' },
    beforeArgOptions: { description: 'Return items before this cursor.' },
    edgesFieldOptions: { description: 'The items of the page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'How to fetch the neighbouring pages.' },
    cursorFieldOptions: { description: 'Opaque position of this item, for `after` and `before`.' },
    nodeFieldOptions: { description: 'The item.' },
  },
});

builder.queryType({ description: 'Everything that can be read.' });
builder.mutationType({ description: 'Everything that changes state.' });
builder.subscriptionType({ description: 'Live events, over WebSocket (graphql-ws) or SSE.' });
