import { getOperationAST, type DocumentNode } from 'graphql';

/** The most of an operation's name that logs and spans carry: a client may send a name as long as the body. */
const SHOWN_NAME_LENGTH = 64;

/** The operation's type and name (shortened) as the document gives them, for logs and spans. */
export function describeOperation(document: DocumentNode, operationName: string | null | undefined): { type: string; name: string | undefined } {
  const operation = getOperationAST(document, operationName);
  const name = operation?.name?.value;
  return { type: operation?.operation ?? 'unknown', name: name && name.length > SHOWN_NAME_LENGTH ? `${name.slice(0, SHOWN_NAME_LENGTH)}…` : name };
}
