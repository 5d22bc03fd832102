/** The route agents' avatars are served under; the hash in the URL makes it unguessable and immutable. */
export const AVATAR_PATH_PREFIX = '/avatars/agents/';

export function avatarPath(agentId: string, sha256: string): string {
  return `${AVATAR_PATH_PREFIX}${agentId}/${sha256}`;
}
