import type { PresentedCredentials } from '../auth/credentials.ts';
import type { Viewer } from '../auth/viewer.ts';

/**
 * Reads `{ authorization }` or `{ apiKey }`; also `{ headers: { Authorization } }`, which is what
 * GraphiQL and other tools that forward their HTTP headers put in `connection_init`.
 */
export function presentedIn(params: Record<string, unknown>): PresentedCredentials {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const headers = params.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  const pick = (source: Record<string, unknown>, ...names: string[]) =>
    names.map((name) => text(source[name])).find((value) => value !== null) ?? null;
  return {
    authorization: pick(params, 'authorization', 'Authorization') ?? pick(headers, 'authorization', 'Authorization'),
    apiKey: pick(params, 'apiKey', 'x-api-key') ?? pick(headers, 'x-api-key', 'X-API-Key'),
  };
}

/**
 * Everything about a viewer that a result may depend on: who, in which tenant, with which role,
 * scopes and channel session. Not the credential itself: two sign-ins of one user share.
 */
export function rightsOf(viewer: Viewer | null): unknown {
  if (!viewer) return null;
  const { credential } = viewer;
  return [
    viewer.tenantId,
    viewer.userId,
    viewer.role,
    credential.kind,
    credential.kind === 'apiKey' ? [...credential.scopes].sort() : null,
    credential.kind === 'apiKey' ? credential.channelSessionId : null,
  ];
}

/** What a connection counts against: its credential, or its address when anonymous. */
export function connectionKey(viewer: Viewer | null, ip: string | null): string {
  if (!viewer) return `address:${ip ?? 'unknown'}`;
  return viewer.credential.kind === 'apiKey' ? `key:${viewer.credential.apiKeyId}` : `session:${viewer.credential.sessionId}`;
}
