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

/**
 * Extensions of a subscription field that replays a stream after the position its argument
 * `argument` names (the last position the subscriber saw), then goes on live, in rising
 * positions that each result carries in its field `positionField`. Subscribers that differ only
 * by that argument get the same results from their own position on, and may share one
 * execution that runs from the start.
 */
export const resumableFrom = (argument: string, positionField: string) => ({ resumableFrom: { argument, positionField } }) as const;

/**
 * Where a shareable stream subscriber starts (`after`), the variable that says so (left out of
 * what is shared), and where a result carries its position: `result.data[field][position]`.
 */
export type StreamPosition = { after: number; variable: string | null; path: [field: string, position: string] };

/**
 * The subscriber's position when `document`'s subscription selects one resumable stream field
 * alone, selects its position field directly, and gives its position by a variable holding 0 or
 * more, or not at all; null otherwise (a literal or a negative position runs on its own, which
 * also reports a bad one).
 */
export function resumableStreamPosition(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): StreamPosition | null {
  const operation = getOperationAST(document, operationName);
  const fields = schema.getSubscriptionType()?.getFields();
  const [selection, ...others] = operation?.selectionSet.selections ?? [];
  if (operation?.operation !== 'subscription' || !fields || others.length > 0 || selection?.kind !== Kind.FIELD) return null;
  const resumable = fields[selection.name.value]?.extensions.resumableFrom as ReturnType<typeof resumableFrom>['resumableFrom'] | undefined;
  if (!resumable) return null;
  const positionSelection = selection.selectionSet?.selections.find(
    (node) => node.kind === Kind.FIELD && node.name.value === resumable.positionField && !node.directives?.length,
  );
  if (positionSelection?.kind !== Kind.FIELD) return null;
  const path: StreamPosition['path'] = [(selection.alias ?? selection.name).value, (positionSelection.alias ?? positionSelection.name).value];
  const argument = selection.arguments?.find((node) => node.name.value === resumable.argument);
  if (!argument) return { after: 0, variable: null, path };
  if (argument.value.kind !== Kind.VARIABLE) return null;
  const variable = argument.value.name.value;
  const value = variables?.[variable] ?? 0;
  return Number.isInteger(value) && (value as number) >= 0 ? { after: value as number, variable, path } : null;
}
