// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
const options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** The native argon2 binding, loaded on the first password a process hashes or checks. */
const argon2 = () => import('@node-rs/argon2');

/** A hash verified when no user matched, so a miss costs as long as a wrong password. */
let decoyHash: Promise<string> | undefined;

export async function hashPassword(plain: string): Promise<string> {
  return (await argon2()).hash(plain, options);
}

export async function verifyPassword(storedHash: string | undefined, plain: string): Promise<boolean> {
  const { hash, verify } = await argon2();
  if (!storedHash) {
    decoyHash ??= hash('decoy-password-for-timing', options);
    await verify(await decoyHash, plain);
    return false;
  }
  return verify(storedHash, plain);
}
