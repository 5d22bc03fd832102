import { z } from 'zod';
import { actorOf, isAdmin, type Viewer } from '../../auth/viewer.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import type { Projection } from '../../db/projection.ts';
import type { Outbox } from '../events.ts';
import { AppError, badInput, conflict, forbidden, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient, ServiceClient } from '../../generated/prisma/client.ts';
import { displayName, parseInput } from '../../validation.ts';
import type { AuditService } from '../audit/service.ts';
import type { WebhookEndpointsService } from '../webhooks/endpoints-service.ts';

const registerInput = z.object({ clientId: displayName(100), webhookUrl: z.string().nullish() });

export type RegisterServiceClientInput = z.input<typeof registerInput>;
type ServiceClientProjection = Projection<Prisma.ServiceClientInclude, Prisma.ServiceClientSelect>;

/**
 * Consumers of the tenant's interactions. A client with a webhook URL is a webhook endpoint
 * filtered to `interaction.created`, so signing, retries and the delivery log apply to it as to
 * any endpoint. Registering and removing clients is for admins: a client keeps receiving the
 * tenant's interactions on its own, after whoever registered it has left.
 */
export class ServiceClientsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly endpoints: Pick<WebhookEndpointsService, 'validate' | 'createInUnit' | 'deleteInUnit'>,
    private readonly audit: AuditService,
  ) {}

  /** Newest first; admins only. */
  list(viewer: Viewer, projection: ServiceClientProjection = {}) {
    requireAdmin(viewer);
    return this.prisma.serviceClient.findMany({ ...projection, where: { tenantId: viewer.tenantId }, orderBy: { id: 'desc' } });
  }

  /** Registers a client; with a webhook URL, also its endpoint, whose signing secret is in the answer and nowhere else. */
  async register(viewer: Viewer, input: RegisterServiceClientInput): Promise<{ serviceClient: ServiceClient; signingSecret: string | null }> {
    requireAdmin(viewer);
    const { clientId, webhookUrl } = parseInput(registerInput, input);
    const { tenantId } = viewer;
    const endpoint = webhookUrl == null ? null : await this.validateEndpoint(clientId, webhookUrl);
    return this.outbox.transaction(async (unit) => {
      // The client first: a taken clientId is then the error, rather than whatever the endpoint might say.
      const serviceClient = await insert(unit.tx, tenantId, clientId);
      const data = { clientId, webhookUrl: endpoint?.url ?? null };
      await this.audit.write({ tenantId, type: 'SERVICE_CLIENT_REGISTERED', ...actorOf(viewer), data }, unit);
      if (endpoint == null) return { serviceClient, signingSecret: null };
      const { endpoint: created, secret } = await this.endpoints.createInUnit(tenantId, endpoint, unit);
      const linked = await unit.tx.serviceClient.update({ where: { id: serviceClient.id }, data: { endpointId: created.id } });
      return { serviceClient: linked, signingSecret: secret };
    });
  }

  /** Removes a client and its endpoint, with the deliveries still pending for it; answers the client's id. */
  deregister(viewer: Viewer, clientId: string): Promise<string> {
    requireAdmin(viewer);
    const { tenantId } = viewer;
    return this.outbox.transaction(async (unit) => {
      const client = await unit.tx.serviceClient.findUnique({ where: { tenantId_clientId: { tenantId, clientId } } });
      // deleteMany: a concurrent deregistration may have removed it since, which is NOT_FOUND too.
      const { count } = client ? await unit.tx.serviceClient.deleteMany({ where: { id: client.id } }) : { count: 0 };
      if (!client || count === 0) throw notFound('Service client');
      if (client.endpointId) await this.endpoints.deleteInUnit(tenantId, client.endpointId, unit);
      await this.audit.write({ tenantId, type: 'SERVICE_CLIENT_DEREGISTERED', ...actorOf(viewer), data: { clientId } }, unit);
      return client.id;
    });
  }

  private async validateEndpoint(clientId: string, url: string) {
    const input = { url, events: ['interaction.created'], description: `Service client ${clientId}` };
    try {
      return await this.endpoints.validate(input);
    } catch (error) {
      // The endpoint's own validation names its field `url`; here the caller wrote `webhookUrl`.
      if (error instanceof AppError && error.details.field === 'url') {
        throw badInput('webhookUrl', error.message.replace(/^url:/, 'webhookUrl:'));
      }
      throw error;
    }
  }
}

async function insert(tx: Prisma.TransactionClient, tenantId: string, clientId: string) {
  try {
    return await tx.serviceClient.create({ data: { tenantId, clientId } });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('clientId', 'A service client with this clientId is already registered');
    throw error;
  }
}

function requireAdmin(viewer: Viewer) {
  if (!isAdmin(viewer)) throw forbidden('Only admins can manage service clients');
}
