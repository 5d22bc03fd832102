import { z } from 'zod';
import type { Projection } from '../../db/projection.ts';
import { lockOwnedRow, lockTenant } from '../../db/row-locks.ts';
import { isWebhookEventType, type Outbox, type UnitOfWork } from '../events.ts';
import { AppError, badInput, notFound } from '../../errors.ts';
import type { Prisma, PrismaClient, WebhookEndpoint } from '../../generated/prisma/client.ts';
import type { OutboundHttp } from '../../outbound/http-client.ts';
import { reachableUserUrl } from '../../outbound/user-url.ts';
import { parseInput, withoutNul } from '../../validation.ts';
import type { Actor } from '../../auth/viewer.ts';
import type { AuditService } from '../audit/service.ts';
import type { AuditEventType } from '../audit/messages.ts';
import { generateWebhookSecret, PREVIOUS_SECRET_GRACE_MS } from './secrets.ts';

/** Each endpoint is signed, retried and watched separately; a tenant needing more is probably leaking them. */
export const MAX_ENDPOINTS_PER_TENANT = 50;
const MANUALLY_DISABLED = 'Disabled by a user';

const url = withoutNul(z.string().trim().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'));
const events = z.array(z.string().trim()).max(100, 'at most 100 event types');
const description = withoutNul(z.string().trim().max(500, 'must be at most 500 characters')).transform((text) => text || null);

const createInput = z.object({
  url,
  events: events.nullish(),
  description: description.nullish(),
  sessionId: z.uuid('must be a session id').nullish(),
});
const updateInput = z.object({
  url: url.nullish(),
  events: events.nullish(),
  description: description.nullish(),
  isActive: z.boolean().nullish(),
  sessionId: z.uuid('must be a session id').nullish(),
});

export type CreateWebhookEndpointInput = z.input<typeof createInput>;
export type UpdateWebhookEndpointInput = z.input<typeof updateInput>;
type WebhookEndpointProjection = Projection<Prisma.WebhookEndpointInclude, Prisma.WebhookEndpointSelect>;
type CreatedEndpoint = { endpoint: WebhookEndpoint; secret: string };
/** An endpoint whose input, URL reachability included, has been checked: ready to insert. */
export type ValidEndpoint = { url: string; events: string[]; description: string | null; sessionId: string | null };

/** Webhook endpoints of a tenant. Signing secrets leave this service only in create and rotate answers. */
export class WebhookEndpointsService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly outbound: OutboundHttp,
    private readonly audit: AuditService,
  ) {}

  /** Newest first. */
  list(tenantId: string, projection: WebhookEndpointProjection = {}) {
    return this.prisma.webhookEndpoint.findMany({ ...projection, where: { tenantId }, orderBy: { createdAt: 'desc' } });
  }

  async get(tenantId: string, id: string, projection: WebhookEndpointProjection = {}) {
    const endpoint = await this.prisma.webhookEndpoint.findFirst({ ...projection, where: { id, tenantId } });
    if (!endpoint) throw notFound('Webhook endpoint');
    return endpoint;
  }

  /** Creates an endpoint; its secret is in the answer and nowhere else, ever. */
  async create(tenantId: string, input: CreateWebhookEndpointInput, actor: Actor): Promise<CreatedEndpoint> {
    const valid = await this.validate(input);
    return this.outbox.transaction(async (unit) => {
      const created = await this.insert(tenantId, valid, unit);
      await this.audited('WEBHOOK_ENDPOINT_CREATED', created.endpoint, actor, unit);
      return created;
    });
  }

  /**
   * Creates an endpoint validated beforehand with `validate`, inside the caller's unit of work
   * (e.g. for a service client). Validation resolves DNS, which must not hold a transaction open.
   */
  createInUnit(tenantId: string, valid: ValidEndpoint, unit: UnitOfWork): Promise<CreatedEndpoint> {
    return this.insert(tenantId, valid, unit);
  }

  async update(tenantId: string, id: string, input: UpdateWebhookEndpointInput, actor: Actor): Promise<WebhookEndpoint> {
    const parsed = parseInput(updateInput, input);
    const newEvents = parsed.events ? knownEvents(parsed.events) : undefined;
    const newUrl = parsed.url ? await reachableUserUrl(this.outbound, 'url', parsed.url) : undefined;
    return this.outbox.transaction(async (unit) => {
      const { tx } = unit;
      const current = await this.lockOwned(tx, tenantId, id);
      if (newUrl || newEvents || parsed.sessionId !== undefined) await refuseIfServiceClients(tx, id, 'change its url, events or session');
      if (parsed.sessionId) await assertTenantSession(tx, tenantId, parsed.sessionId);
      const enabling = parsed.isActive === true && !current.isActive;
      const disabling = parsed.isActive === false && current.isActive;
      const updated = await tx.webhookEndpoint.update({
        where: { id },
        data: {
          // A new URL, like re-enabling, starts with a clean record instead of inheriting old failures.
          ...(newUrl ? { url: newUrl, failingSince: null } : {}),
          ...(newEvents ? { events: newEvents } : {}),
          ...(parsed.description !== undefined ? { description: parsed.description } : {}),
          ...(parsed.sessionId !== undefined ? { sessionId: parsed.sessionId } : {}),
          ...(enabling ? { isActive: true, disabledReason: null, failingSince: null } : {}),
          ...(disabling ? { isActive: false, disabledReason: MANUALLY_DISABLED } : {}),
        },
      });
      await this.audited('WEBHOOK_ENDPOINT_UPDATED', updated, actor, unit);
      return updated;
    });
  }

  /** Deletes an endpoint with its deliveries; answers its id. */
  delete(tenantId: string, id: string, actor: Actor): Promise<string> {
    return this.outbox.transaction(async (unit) => {
      await refuseIfServiceClients(unit.tx, id, 'delete it');
      const endpoint = await this.lockOwned(unit.tx, tenantId, id);
      await this.deleteInUnit(tenantId, id, unit);
      await this.audited('WEBHOOK_ENDPOINT_DELETED', endpoint, actor, unit);
      return id;
    });
  }

  async deleteInUnit(tenantId: string, id: string, { tx }: UnitOfWork): Promise<string> {
    const { count } = await tx.webhookEndpoint.deleteMany({ where: { id, tenantId } });
    if (count === 0) throw notFound('Webhook endpoint');
    return id;
  }

  /** Replaces the secret; the old one keeps signing beside it for 24 h, so receivers can switch without losing events. */
  rotateSecret(tenantId: string, id: string, actor: Actor): Promise<CreatedEndpoint> {
    const secret = generateWebhookSecret();
    return this.outbox.transaction(async (unit) => {
      const { tx } = unit;
      const current = await this.lockOwned(tx, tenantId, id);
      const endpoint = await tx.webhookEndpoint.update({
        where: { id },
        data: {
          secret,
          previousSecret: current.secret,
          previousSecretExpiresAt: new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS),
        },
      });
      await this.audited('WEBHOOK_SECRET_ROTATED', endpoint, actor, unit);
      return { endpoint, secret };
    });
  }

  private async audited(type: AuditEventType, endpoint: WebhookEndpoint, actor: Actor, unit: UnitOfWork) {
    const data = { endpointId: endpoint.id, url: endpoint.url, events: endpoint.events, isActive: endpoint.isActive };
    await this.audit.write({ tenantId: endpoint.tenantId, type, ...actor, data }, unit);
  }

  async validate(input: CreateWebhookEndpointInput): Promise<ValidEndpoint> {
    const parsed = parseInput(createInput, input);
    const valid = { events: knownEvents(parsed.events ?? []), description: parsed.description ?? null, sessionId: parsed.sessionId ?? null };
    return { ...valid, url: await reachableUserUrl(this.outbound, 'url', parsed.url) };
  }

  private async insert(tenantId: string, data: ValidEndpoint, { tx }: UnitOfWork) {
    // Serialises creations per tenant so that concurrent ones cannot pass the limit together.
    await lockTenant(tx, tenantId);
    if ((await tx.webhookEndpoint.count({ where: { tenantId } })) >= MAX_ENDPOINTS_PER_TENANT) {
      throw new AppError('CONFLICT', `A team can have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first`);
    }
    if (data.sessionId) await assertTenantSession(tx, tenantId, data.sessionId);
    const secret = generateWebhookSecret();
    const endpoint = await tx.webhookEndpoint.create({ data: { ...data, tenantId, secret } });
    return { endpoint, secret };
  }

  /** Locks the endpoint for the rest of the transaction, so that concurrent rotations and updates see each other's result. */
  private async lockOwned(tx: Prisma.TransactionClient, tenantId: string, id: string): Promise<WebhookEndpoint> {
    if (!(await lockOwnedRow(tx, 'webhook_endpoints', tenantId, id))) throw notFound('Webhook endpoint');
    return tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
  }
}

/**
 * A service client's endpoint is changed through the client: retargeting or deleting it here
 * would silently send the client other events, or none.
 */
async function refuseIfServiceClients(tx: Prisma.TransactionClient, endpointId: string, what: string) {
  const client = await tx.serviceClient.findUnique({ where: { endpointId }, select: { clientId: true } });
  if (client) {
    throw new AppError('CONFLICT', `This endpoint belongs to service client "${client.clientId}": to ${what}, use deregisterServiceClient and register it again`);
  }
}

/** An endpoint can be bound only to a session of its own tenant; another's is as unknown as none. */
async function assertTenantSession(tx: Prisma.TransactionClient, tenantId: string, sessionId: string) {
  const session = await tx.channelSession.findFirst({ where: { id: sessionId, tenantId }, select: { id: true } });
  if (!session) throw badInput('sessionId', 'sessionId: your team has no channel session with this id');
}

/** Every type must be one endpoints can subscribe to; duplicates are dropped. */
function knownEvents(types: readonly string[]): string[] {
  const unknown = types.find((type) => !isWebhookEventType(type));
  if (unknown !== undefined) throw badInput('events', `Unknown event type "${unknown}"; see webhookEventTypes`);
  return [...new Set(types)];
}
