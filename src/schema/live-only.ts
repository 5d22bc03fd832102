import { getOperationAST, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';

/**
 * Extensions of a subscription field whose subscribers hear events as they happen, with nothing
 * replayed on subscribing: two subscribers with the same document, variables and rights then
 * get the same results, and may share one execution (http/shared-subscriptions.ts).
 */
export const LIVE_ONLY = { liveOnly: true } as const;

/** Whether `document`'s subscription selects live-only fields, and only those, at its root. */
export function selectsOnlyLiveFields(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): boolean {
  const operation = getOperationAST(document, operationName);
  const fields = schema.getSubscriptionType()?.getFields();
  if (operation?.operation !== 'subscription' || !fields) return false;
  return operation.selectionSet.selections.every(
    (selection) => selection.kind === Kind.FIELD && selection.name.value !== '__typename' && fields[selection.name.value]?.extensions.liveOnly === true,
  );
}
