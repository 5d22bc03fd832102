import { randomUUID } from 'node:crypto';
import { generateSecret, sha256 } from '../../auth/secrets.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';

const PREFIX = 'rt_';

/** Opaque refresh tokens, stored hashed; each login starts a family that rotation extends. */
export class RefreshTokens {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlDays: number,
  ) {}

  async issue(
    db: Prisma.TransactionClient,
    owner: { tenantId: string; userId: string },
    familyId: string = randomUUID(),
  ) {
    const token = generateSecret(PREFIX);
    const expiresAt = new Date(Date.now() + this.ttlDays * 86_400_000);
    await db.refreshToken.create({ data: { ...owner, familyId, tokenHash: sha256(token), expiresAt } });
    return { token, familyId, expiresAt };
  }

  find(token: string) {
    if (!token.startsWith(PREFIX)) return Promise.resolve(null);
    return this.prisma.refreshToken.findUnique({ where: { tokenHash: sha256(token) } });
  }

  /** Marks the token as used; false when another request rotated or revoked it first. */
  async claim(db: Prisma.TransactionClient, id: string): Promise<boolean> {
    const { count } = await db.refreshToken.updateMany({
      where: { id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date() },
    });
    return count === 1;
  }

  async revokeFamily(tenantId: string, familyId: string): Promise<number> {
    const { count } = await this.prisma.refreshToken.updateMany({
      where: { tenantId, familyId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    return count;
  }
}
