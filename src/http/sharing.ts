import type { DocumentNode, GraphQLSchema } from 'graphql';
import { resumableStreamPosition, selectsOnlyLiveFields } from '../schema/live-only.ts';
import type { JoinFrom } from './shared-subscriptions.ts';

type SubscribePayload = { query: string; operationName?: string | null; variables?: Record<string, unknown> | null };

/** How a subscriber shares an execution: the group's key, where the subscriber joins, and the variables the execution runs with. */
export type Sharing = { key: string; from: JoinFrom; variables: Record<string, unknown> | null | undefined };

/**
 * Whether a subscription may share an execution with others, and on what terms: live-only
 * fields with the same document, variables and rights; or a resumable stream with the same
 * document, variables but the position, and rights, whose shared execution runs from the start.
 * `rights` is everything about the subscriber that a result may depend on.
 */
export function sharingOf(schema: GraphQLSchema, document: DocumentNode, payload: SubscribePayload, rights: unknown): Sharing | null {
  const { query, operationName = null, variables } = payload;
  if (selectsOnlyLiveFields(schema, document, operationName)) {
    return { key: JSON.stringify(['live', query, operationName, variables ?? null, rights]), from: 'live', variables };
  }
  const position = resumableStreamPosition(schema, document, operationName, variables);
  if (!position) return null;
  const fromStart = position.variable ? { ...variables, [position.variable]: 0 } : variables;
  return {
    key: JSON.stringify(['stream', query, operationName, fromStart ?? null, rights]),
    from: { after: position.after, path: position.path },
    variables: fromStart,
  };
}
