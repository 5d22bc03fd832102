import type { Role } from './access-token.ts';
import { forbidden } from '../errors.ts';
import { scopesForRole, type Scope } from './scopes.ts';

export type Credential =
  | { kind: 'session'; sessionId: string; expiresAt: Date }
  | {
      kind: 'apiKey';
      apiKeyId: string;
      scopes: readonly string[];
      expiresAt: Date | null;
      /** Set for a session API key: it works only for this channel session (not `sessionId`, which names a login). */
      channelSessionId: string | null;
    };

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

/**
 * A session holds every scope of its role; a key only those it carries that its creator still holds,
 * and a session API key never more than the `sessions:` scopes, whatever it carries.
 */
export function hasScope(viewer: Viewer, scope: Scope): boolean {
  if (!scopesForRole(viewer.role).includes(scope)) return false;
  if (boundSessionOf(viewer) !== null && !scope.startsWith('sessions:')) return false;
  return viewer.credential.kind === 'session' || viewer.credential.scopes.includes(scope);
}

/** The channel session a session API key is bound to; null for every other credential. */
export function boundSessionOf(viewer: Viewer): string | null {
  return viewer.credential.kind === 'apiKey' ? viewer.credential.channelSessionId : null;
}

/**
 * For what only a person may do, never a key acting for them (minting or reactivating keys,
 * changing who they are): FORBIDDEN for an API key.
 */
export function assertSignedIn(viewer: Viewer, doing: string): void {
  if (viewer.credential.kind !== 'session') throw forbidden(`Only a signed-in user can ${doing}, not an API key`);
}

export type Actor = ReturnType<typeof actorOf>;

/** For the audit log: who did it, as it should read there. */
export function actorOf(viewer: Viewer) {
  return viewer.credential.kind === 'apiKey'
    ? ({ actorType: 'API_KEY', actorId: viewer.credential.apiKeyId } as const)
    : ({ actorType: 'USER', actorId: viewer.userId } as const);
}
