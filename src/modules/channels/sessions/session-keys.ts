import { generateSecret, sha256 } from '../../../auth/secrets.ts';
import type { Scope } from '../../../auth/scopes.ts';
import { boundSessionOf, isAdmin, type Viewer } from '../../../auth/viewer.ts';
import { forbidden } from '../../../errors.ts';
import type { ApiKey, ChannelSession, Prisma } from '../../../generated/prisma/client.ts';
import { API_KEY_PREFIX } from '../../api-keys/service.ts';

/** What a session API key carries; `hasScope` never grants it more, whatever it is updated to. */
export const SESSION_KEY_SCOPES: Scope[] = ['sessions:read', 'sessions:write'];

/**
 * The sessions the viewer may reach: the tenant's, or only its own for a session API key. Every
 * read and change of a session goes through it, so another session answers NOT_FOUND alike.
 */
export function sessionScope(viewer: Viewer): Prisma.ChannelSessionWhereInput {
  const bound = boundSessionOf(viewer);
  return { tenantId: viewer.tenantId, ...(bound ? { id: bound } : {}) };
}

/** One session, if the viewer may reach it. */
export function reachableSession(viewer: Viewer, id: string): Prisma.ChannelSessionWhereInput {
  return { AND: [sessionScope(viewer), { id }] };
}

/** Changing sessions is an admin's decision; a session API key acts for the admin who created the session. */
export function assertSessionAdmin(viewer: Viewer, action: string): void {
  if (!isAdmin(viewer)) throw forbidden(`Only admins can ${action}`);
}

/** Creating sessions concerns the team, not one session: a session API key cannot. */
export function assertNotSessionKey(viewer: Viewer, action: string): void {
  if (boundSessionOf(viewer) !== null) throw forbidden(`A session API key cannot ${action}`);
}

/** Creates the session's own API key, acting for `viewer`; the plain key is in the answer and nowhere else, ever. */
export async function createSessionKey(tx: Prisma.TransactionClient, viewer: Viewer, session: ChannelSession) {
  const key = generateSecret(API_KEY_PREFIX);
  const apiKey: ApiKey = await tx.apiKey.create({
    data: {
      tenantId: session.tenantId,
      createdById: viewer.userId,
      sessionId: session.id,
      name: `Session: ${session.name}`.slice(0, 100),
      keyHash: sha256(key),
      lastFour: key.slice(-4),
      scopes: SESSION_KEY_SCOPES,
    },
  });
  return { key, apiKey };
}
