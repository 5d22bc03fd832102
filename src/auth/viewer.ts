import type { Role } from './access-token.ts';
import { scopesForRole, type Scope } from './scopes.ts';

export type Credential =
  | { kind: 'session'; sessionId: string; expiresAt: Date }
  | { kind: 'apiKey'; apiKeyId: string; scopes: readonly string[]; expiresAt: Date | null };

/** Who is calling: always a user of one tenant, through a session or one of their API keys. */
export type Viewer = {
  tenantId: string;
  userId: string;
  role: Role;
  credential: Credential;
};

export function isAdmin(viewer: Viewer): boolean {
  return viewer.role === 'ADMIN';
}

/** A session holds every scope of its role; a key only those it carries that its creator still holds. */
export function hasScope(viewer: Viewer, scope: Scope): boolean {
  if (!scopesForRole(viewer.role).includes(scope)) return false;
  return viewer.credential.kind === 'session' || viewer.credential.scopes.includes(scope);
}

export type Actor = ReturnType<typeof actorOf>;

/** For the audit log: who did it, as it should read there. */
export function actorOf(viewer: Viewer) {
  return viewer.credential.kind === 'apiKey'
    ? ({ actorType: 'API_KEY', actorId: viewer.credential.apiKeyId } as const)
    : ({ actorType: 'USER', actorId: viewer.userId } as const);
}
