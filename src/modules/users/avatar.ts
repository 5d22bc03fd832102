/** The route users' avatars are served under; the hash in the URL makes it unguessable and immutable. */
export const USER_AVATAR_PATH_PREFIX = '/avatars/users/';

export function userAvatarPath(userId: string, sha256: string): string {
  return `${USER_AVATAR_PATH_PREFIX}${userId}/${sha256}`;
}
