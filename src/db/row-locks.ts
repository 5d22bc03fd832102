import { Prisma } from '../generated/prisma/client.ts';

/** The tables whose rows a transaction locks by id within their tenant, as fixed SQL identifiers. */
const tenantTables = {
  agents: Prisma.raw('agents'),
  channel_conversations: Prisma.raw('channel_conversations'),
  channel_sessions: Prisma.raw('channel_sessions'),
  leads: Prisma.raw('leads'),
  webhook_endpoints: Prisma.raw('webhook_endpoints'),
};

export type TenantTable = keyof typeof tenantTables;

/** Locks the tenant's row `id` of `table` FOR UPDATE until the transaction ends; false when the tenant has no such row. */
export async function lockOwnedRow(tx: Prisma.TransactionClient, table: TenantTable, tenantId: string, id: string): Promise<boolean> {
  const locked = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM ${tenantTables[table]} WHERE id = ${id} AND tenant_id = ${tenantId} FOR UPDATE`;
  return locked.length > 0;
}

/**
 * Locks the tenant's own row until the transaction ends, serialising work per tenant.
 * NO KEY UPDATE, unlike UPDATE, leaves other inserts referencing the tenant unblocked.
 */
export async function lockTenant(tx: Prisma.TransactionClient, tenantId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM tenants WHERE id = ${tenantId} FOR NO KEY UPDATE`;
}
