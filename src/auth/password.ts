import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** A hash verified when no user matched, so a miss costs as long as a wrong password. */
let decoyHash: Promise<string> | undefined;

export function hashPassword(plain: string): Promise<string> {
  return hash(plain, options);
}

export async function verifyPassword(storedHash: string | undefined, plain: string): Promise<boolean> {
  if (!storedHash) {
    decoyHash ??= hash('decoy-password-for-timing', options);
    await verify(await decoyHash, plain);
    return false;
  }
  return verify(storedHash, plain);
}
