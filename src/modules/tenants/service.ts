import { randomBytes } from 'node:crypto';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import type { Projection } from '../../db/projection.ts';
import { notFound } from '../../errors.ts';

export class TenantsService {
  constructor(private readonly prisma: PrismaClient) {}

  async get(tenantId: string, projection: Projection<Prisma.TenantInclude, Prisma.TenantSelect> = {}) {
    const tenant = await this.prisma.tenant.findUnique({ ...projection, where: { id: tenantId } });
    if (!tenant) throw notFound('Tenant');
    return tenant;
  }

  /** A slug derived from the name; a random suffix when the plain one is taken. */
  async create(name: string, tx: Prisma.TransactionClient) {
    const base = slugify(name) || 'team';
    const taken = await tx.tenant.findUnique({ where: { slug: base }, select: { id: true } });
    const slug = taken ? `${base}-${randomBytes(3).toString('hex')}` : base;
    return tx.tenant.create({ data: { name, slug } });
  }
}

function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
}
