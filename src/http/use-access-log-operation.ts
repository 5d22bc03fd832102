import { getOperationAST, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { TransportContext } from './context.ts';

/** Names the operation in the request's access log (routes.ts), as the document names it. */
export function useAccessLogOperation(): Plugin<TransportContext> {
  const name = ({ args }: { args: ExecutionArgs }) => {
    const accessLog = (args.contextValue as TransportContext).accessLog;
    if (accessLog) accessLog.operationName = getOperationAST(args.document, args.operationName)?.name?.value;
  };
  return { onExecute: name, onSubscribe: name };
}
