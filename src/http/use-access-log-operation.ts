import type { DocumentNode, ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { TransportContext } from './context.ts';
import { describeOperation } from './operation-name.ts';

/** Names the operation in the request's access log (routes.ts), as the document names it. */
export function useAccessLogOperation(): Plugin<TransportContext> {
  const name = ({ args }: { args: ExecutionArgs }) => {
    const accessLog = (args.contextValue as TransportContext).accessLog;
    if (accessLog) accessLog.operationName = describeOperation(args.document as DocumentNode, args.operationName).name;
  };
  return { onExecute: name, onSubscribe: name };
}
