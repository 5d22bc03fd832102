import type { AgentKind, Prisma } from '../../generated/prisma/client.ts';

/**
 * Holds the team's active agent `id` (of `kind`, when given) FOR SHARE until the transaction
 * ends, so that a deletion of it waits and a setting never names an agent that is gone. False
 * when the team has no such agent.
 */
export async function shareActiveAgent(tx: Prisma.TransactionClient, tenantId: string, id: string, kind?: AgentKind): Promise<boolean> {
  const agents = await tx.$queryRaw<{ kind: AgentKind }[]>`
    SELECT kind FROM agents WHERE id = ${id} AND tenant_id = ${tenantId} AND is_active FOR SHARE`;
  return agents.length > 0 && (kind === undefined || agents[0]!.kind === kind);
}
