/**
 * Credentials sent with one graphql-ws operation rather than with the connection. GraphiQL opens
 * its socket with an empty `connection_init` and puts its Headers tab in each subscribe message's
 * `extensions.headers`; such an operation runs as that credential, and a subscription of it ends
 * with UNAUTHENTICATED or FORBIDDEN when the credential expires, is revoked or is narrowed, while
 * the connection and its other operations go on.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { PresentedCredentials } from '../auth/credentials.ts';
import type { RevocationEffect } from '../auth/revocations.ts';
import type { Viewer } from '../auth/viewer.ts';
import { forbidden, teamSuspended, unauthenticated, type AppError } from '../errors.ts';

/** setTimeout cannot wait longer than this; a credential that outlives it is checked again on the next connect or subscribe. */
const MAX_TIMER_MS = 2_147_483_647;

/** How long to wait until `expiresAt`, as a delay setTimeout accepts. */
export function delayUntil(expiresAt: Date): number {
  return Math.min(Math.max(expiresAt.getTime() - Date.now(), 0), MAX_TIMER_MS);
}

/** The credential headers of `extensions.headers`, if any: Authorization or X-API-Key, in any case. */
export function credentialsOfOperation(extensions: unknown): PresentedCredentials | null {
  const headers = (extensions as { headers?: unknown } | null | undefined)?.headers;
  if (!headers || typeof headers !== 'object') return null;
  let authorization: string | null = null;
  let apiKey: string | null = null;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string' || value.trim() === '') continue;
    if (name.toLowerCase() === 'authorization') authorization = value;
    if (name.toLowerCase() === 'x-api-key') apiKey = value;
  }
  return authorization || apiKey ? { authorization, apiKey } : null;
}

/** The error a subscription ends with; an expected one, so error mapping keeps its code. */
function credentialEnded(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: { code: error.code } });
}

type Watch = (viewer: Viewer, onRevoked: (effect: RevocationEffect) => void) => () => void;

/**
 * Passes a subscription's results through until the viewer's credential ends (is revoked or
 * narrowed, or, with `endAtExpiry`, expires); then sends one result with the error that says
 * why, and completes. Stopping early releases the watch.
 */
export function untilCredentialEnds(
  results: AsyncIterable<ExecutionResult>,
  viewer: Viewer,
  watch: Watch,
  { endAtExpiry = true }: { endAtExpiry?: boolean } = {},
): AsyncIterableIterator<ExecutionResult> {
  const source = results[Symbol.asyncIterator]();
  let release = () => {};
  const ended = new Promise<GraphQLError>((resolve) => {
    const stopWatching = watch(viewer, (effect) =>
      resolve(
        credentialEnded(
          effect === 'revoked' ? unauthenticated('Credential revoked') : effect === 'suspended' ? teamSuspended() : forbidden('Credential rights changed: subscribe again'),
        ),
      ),
    );
    const expiresAt = endAtExpiry ? viewer.credential.expiresAt : null;
    const timer = expiresAt
      ? setTimeout(
          () => resolve(credentialEnded(unauthenticated('Credential expired'))),
          delayUntil(expiresAt),
        )
      : undefined;
    release = () => {
      stopWatching();
      clearTimeout(timer);
    };
  });
  let finished = false;
  const finish = async () => {
    finished = true;
    release();
    await source.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (finished) return { value: undefined, done: true };
      const next = await Promise.race([source.next(), ended.then((error) => ({ error }))]);
      if ('error' in next) {
        await finish();
        return { value: { errors: [next.error] }, done: false };
      }
      if (next.done) await finish();
      return next;
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
  };
}
