import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { RevocationEffect } from '../auth/revocations.ts';
import type { Viewer } from '../auth/viewer.ts';
import { untilCredentialEnds } from './operation-credentials.ts';

type Watch = (viewer: Viewer, onRevoked: (effect: RevocationEffect) => void) => () => void;

/**
 * Ends a subscription over HTTP (SSE) when its credential is revoked or narrowed, or its team
 * suspended, as a WebSocket connection closes then (websocket.ts): without it, a stream would
 * outlive a logout or a deactivation for as long as the client kept it open. Not at the access
 * token's expiry: an SSE client cannot renew its credential within the stream, and the credential
 * was good when the stream began.
 */
export function useSubscriptionCredentials(watch: Watch): Plugin<{ viewer: Viewer | null }> {
  return {
    onSubscribe: ({ args }) => {
      const context = args.contextValue as { viewer: Viewer | null; request?: Request };
      // Operations over graphql-ws have no HTTP request: their connection, or their own credential, is watched there.
      const viewer = context.viewer;
      if (!context.request || !viewer) return;
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (isAsyncIterable(result)) setResult(untilCredentialEnds(result, viewer, watch, { endAtExpiry: false }));
        },
      };
    },
  };
}
