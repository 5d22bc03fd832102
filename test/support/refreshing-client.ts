/** The README's WebSocket client recipe, with tokens the test signs itself. */
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import { SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import type { RunningApp } from './app.ts';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export type RefreshingClientOptions = {
  /** How long the token of the nth connect (from 0) lives, in seconds. */
  lifetimeSeconds: (connect: number) => number;
  retryWaitMs: number;
  /** Holds each reconnect after its wait until this resolves, for a test that needs something to happen meanwhile. */
  beforeReconnect?: () => Promise<unknown>;
  /** Fixes the ids the client gives its operations, to play a client that reuses another's id. */
  operationId?: string;
};

/**
 * The stock graphql-ws client with `connectionParams` as an async function that answers a token
 * freshly signed with the app's secret and `claims` at each connect, and retries without end.
 */
export function refreshingClient(app: RunningApp, claims: JWTPayload, { lifetimeSeconds, retryWaitMs, beforeReconnect, operationId }: RefreshingClientOptions) {
  const closes: number[] = [];
  const issued: string[] = [];
  let open = false;
  const client = createClient({
    url: app.wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async () => {
      await new Promise((resolve) => setTimeout(resolve, retryWaitMs));
      await beforeReconnect?.();
    },
    onNonLazyError: () => {},
    ...(operationId ? { generateID: () => operationId } : {}),
    connectionParams: async () => {
      const exp = nowSeconds() + lifetimeSeconds(issued.length);
      const token = await new SignJWT({ ...claims, jti: randomUUID(), exp })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .sign(new TextEncoder().encode(app.config.jwtSecret));
      issued.push(token);
      return { authorization: `Bearer ${token}` };
    },
    on: {
      connected: () => (open = true),
      closed: (event) => {
        open = false;
        closes.push((event as { code: number }).code);
      },
    },
  });
  return { client, closes, issued, connects: () => issued.length, isOpen: () => open };
}
