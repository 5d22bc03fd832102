import { z } from 'zod';
import { actorOf, assertSignedIn, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { readAvatar, type Upload } from '../../uploads/avatar-image.ts';
import { displayName, jsonObject, parseInput } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { Outbox } from '../events.ts';

export const MAX_PREFERENCES_BYTES = 8 * 1024;

const profileInput = z.object({
  fullName: displayName(120).nullish(),
  preferences: jsonObject(MAX_PREFERENCES_BYTES).nullish(),
});

export type ProfileInput = z.input<typeof profileInput>;

type UserProjection = Projection<Prisma.UserInclude, Prisma.UserSelect>;

/**
 * What each member changes of themselves: their name, their clients' preferences, their picture.
 * A signed-in user only: an API key acts for its owner on the team's data, not on who they are.
 */
export class UserProfiles {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
  ) {}

  /** Changes what the input names; `fullName: null` clears the name, `preferences` replaces them whole. */
  update(viewer: Viewer, input: ProfileInput, projection: UserProjection = {}) {
    assertSignedIn(viewer, 'change their profile');
    const parsed = parseInput(profileInput, input);
    const data: Prisma.UserUpdateInput = {
      ...(parsed.fullName !== undefined ? { fullName: parsed.fullName } : {}),
      ...(parsed.preferences != null ? { preferences: parsed.preferences } : {}),
    };
    return this.change(viewer, Object.keys(data), data, projection);
  }

  /** Replaces the viewer's picture with an image checked by its bytes (see `readAvatar`). */
  async setAvatar(viewer: Viewer, file: Upload, projection: UserProjection = {}) {
    assertSignedIn(viewer, 'change their profile');
    const { mimeType, bytes, sha256 } = await readAvatar(file);
    const image = { tenantId: viewer.tenantId, mimeType, bytes, sha256 };
    return this.change(viewer, ['avatar'], { avatar: { upsert: { create: image, update: image } } }, projection);
  }

  removeAvatar(viewer: Viewer, projection: UserProjection = {}) {
    assertSignedIn(viewer, 'change their profile');
    return this.outbox.transaction(async (unit) => {
      const { count } = await unit.tx.userAvatar.deleteMany({ where: { userId: viewer.userId, tenantId: viewer.tenantId } });
      if (count > 0) await this.audit.write({ tenantId: viewer.tenantId, type: 'PROFILE_UPDATED', ...actorOf(viewer), data: { fields: ['avatar'] } }, unit);
      return unit.tx.user.findUniqueOrThrow({ ...projection, where: { id: viewer.userId } });
    });
  }

  /** An avatar by the user and hash its URL names; null when they do not match (a replaced one, say). */
  findAvatar(userId: string, sha256: string) {
    return this.prisma.userAvatar.findFirst({ where: { userId, sha256 }, select: { mimeType: true, bytes: true } });
  }

  private change(viewer: Viewer, fields: string[], data: Prisma.UserUpdateInput, projection: UserProjection) {
    return this.outbox.transaction(async (unit) => {
      const user = await unit.tx.user.update({ ...projection, where: { id: viewer.userId, tenantId: viewer.tenantId }, data });
      if (fields.length > 0) await this.audit.write({ tenantId: viewer.tenantId, type: 'PROFILE_UPDATED', ...actorOf(viewer), data: { fields } }, unit);
      return user;
    });
  }
}
