import { z } from 'zod';
import { hashPassword } from '../../auth/password.ts';
import { actorOf, type Viewer } from '../../auth/viewer.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Projection } from '../../db/projection.ts';
import type { Outbox } from '../events.ts';
import { conflict, forbidden, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient, Role, User } from '../../generated/prisma/client.ts';
import { displayName, email, parseInput, password } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import { seatsTaken, type TeamLimits } from '../tenants/team-limits.ts';
import type { EmailVerifications } from './email-verification.ts';

const createUserInput = z.object({
  email,
  password,
  fullName: displayName(120).nullish(),
  role: z
    .enum(['ADMIN', 'USER'])
    .nullish()
    .transform((role) => role ?? 'USER'),
});

type UserProjection = Projection<Prisma.UserInclude, Prisma.UserSelect>;

export type CreateUserInput = z.input<typeof createUserInput>;

export class UsersService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
    private readonly emailVerifications: EmailVerifications,
    private readonly teamLimits: TeamLimits,
  ) {}

  /** Creates a user in the viewer's tenant; admins only. Emails are unique within a tenant. */
  async create(viewer: Viewer, input: CreateUserInput, projection: UserProjection = {}) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can create users');
    const { email, password, fullName, role } = parseInput(createUserInput, input);
    const passwordHash = await hashPassword(password);
    return this.outbox.transaction(async (unit) => {
      await this.teamLimits.reserve(unit.tx, viewer.tenantId, 'users', () => seatsTaken(unit.tx, viewer.tenantId), 'email');
      const user = await this.insert(unit.tx, { tenantId: viewer.tenantId, email, passwordHash, fullName, role }, projection);
      await this.audit.write(
        { tenantId: viewer.tenantId, type: 'USER_CREATED', ...actorOf(viewer), data: { userId: user.id, email, role } },
        unit,
      );
      await this.emailVerifications.request(unit, { id: user.id, tenantId: viewer.tenantId, email });
      return user;
    });
  }

  /** Inserts a user, answering CONFLICT on the email when the tenant already has it. */
  async insert(
    tx: Prisma.TransactionClient,
    data: { tenantId: string; email: string; passwordHash: string; fullName?: string | null; role: Role },
    projection: UserProjection = {},
  ) {
    try {
      return await tx.user.create({ ...projection, data });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('email', 'A user with this email already exists in the team');
      throw error;
    }
  }

  list(viewer: Viewer, projection: UserProjection = {}) {
    if (viewer.role !== 'ADMIN') throw forbidden('Only admins can list users');
    return this.prisma.user.findMany({ ...projection, where: { tenantId: viewer.tenantId }, orderBy: { id: 'asc' } });
  }

  /**
   * The viewer's own row, on every `me`: the busiest read of the API. Raw SQL, because Prisma's
   * query compiler costs about 250 µs of CPU a call more here; relations a query asks for are
   * loaded by the schema's fallback.
   */
  async viewerRow(viewer: Viewer): Promise<User> {
    const [user] = await this.prisma.$queryRaw<User[]>`
      SELECT id, tenant_id AS "tenantId", email, password_hash AS "passwordHash", full_name AS "fullName",
             role::text AS role, is_active AS "isActive", email_verified_at AS "emailVerifiedAt",
             preferences, last_login_at AS "lastLoginAt", created_at AS "createdAt", updated_at AS "updatedAt"
        FROM users
       WHERE id = ${viewer.userId} AND tenant_id = ${viewer.tenantId}`;
    if (!user) throw notFound('User');
    return user;
  }
}
