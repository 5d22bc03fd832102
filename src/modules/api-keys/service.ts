import { z } from 'zod';
import { generateSecret, sha256 } from '../../auth/secrets.ts';
import { allScopes, isScope, scopesForRole } from '../../auth/scopes.ts';
import type { Role } from '../../auth/access-token.ts';
import { RecentCredentials } from '../../auth/recent-credentials.ts';
import type { Revocations } from '../../auth/revocations.ts';
import { actorOf, assertSignedIn, hasScope, type Viewer } from '../../auth/viewer.ts';
import type { Projection } from '../../db/projection.ts';
import type { Outbox } from '../events.ts';
import { badInput, notFound, unauthenticated } from '../../errors.ts';
import type { ApiKey, Prisma, PrismaClient } from '../../generated/prisma/client.ts';
import { displayName, parseInput } from '../../validation.ts';
import type { AuditEntry, AuditService } from '../audit/service.ts';
import type { TeamLimits } from '../tenants/team-limits.ts';

export const API_KEY_PREFIX = 'sk_';

/** lastUsedAt is a hint, not a log: refresh it at most this often to keep reads cheap. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * A key presented again within this long is not read again. Revocation and narrowing drop it at
 * once, on every instance that hears the announcement; anything else about the key or its owner
 * (a scope added on another instance) shows within this long.
 */
const RECENT_KEY_MS = 5_000;
const RECENT_KEYS = 10_000;

const scopes = z.array(z.string().trim()).max(50, 'at most 50 scopes');
const expiresAt = z.coerce
  .date()
  .refine((date) => date.getTime() > Date.now(), 'must be in the future')
  .nullish();

const createInput = z.object({ name: displayName(100), scopes: scopes.nullish(), expiresAt });
const updateInput = z.object({ name: displayName(100).nullish(), scopes: scopes.nullish(), expiresAt });

export type CreateApiKeyInput = z.input<typeof createInput>;
export type UpdateApiKeyInput = z.input<typeof updateInput>;

type StoredKey = ApiKey & { ownerIsActive: boolean; ownerRole: Role };

export class ApiKeysService {
  private readonly recent = new RecentCredentials<StoredKey>(RECENT_KEYS, RECENT_KEY_MS);

  constructor(
    private readonly prisma: PrismaClient,
    private readonly outbox: Outbox,
    private readonly audit: AuditService,
    private readonly revocations: Revocations,
    private readonly teamLimits: TeamLimits,
  ) {
    revocations.onRevocation(({ apiKeyId }) => {
      if (apiKeyId) this.recent.forget((key) => key.id === apiKeyId);
    });
  }

  /**
   * Creates a key for the viewer; the plain key is in the answer and nowhere else, ever. Only a
   * signed-in user mints keys: a key that could mint keys would outlive its own revocation in them.
   */
  async create(viewer: Viewer, input: CreateApiKeyInput): Promise<{ key: string; apiKey: ApiKey }> {
    assertSignedIn(viewer, 'create API keys');
    const parsed = parseInput(createInput, input);
    // Omitted scopes mean every scope the viewer holds: a key creating a key passes on only its own.
    const grantedScopes = this.grantableScopes(viewer, parsed.scopes ?? allScopes.filter((scope) => hasScope(viewer, scope)));
    const key = generateSecret(API_KEY_PREFIX);
    const { tenantId } = viewer;
    const apiKey = await this.withAudit(viewer, 'API_KEY_CREATED', async (tx) => {
      await this.teamLimits.reserve(tx, tenantId, 'apiKeys', () => tx.apiKey.count({ where: { tenantId, sessionId: null } }));
      return tx.apiKey.create({
        data: {
          tenantId: viewer.tenantId,
          createdById: viewer.userId,
          name: parsed.name,
          keyHash: sha256(key),
          lastFour: key.slice(-4),
          scopes: grantedScopes,
          expiresAt: parsed.expiresAt ?? null,
        },
      });
    });
    return { key, apiKey };
  }

  /** Admins see every key of the tenant; users see their own. */
  list(viewer: Viewer, projection: Projection<Prisma.ApiKeyInclude, Prisma.ApiKeySelect> = {}) {
    return this.prisma.apiKey.findMany({ ...projection, where: this.manageableBy(viewer), orderBy: { createdAt: 'desc' } });
  }

  /** One key, as `list` shows keys: any of the tenant's for admins, only their own for users. */
  async get(viewer: Viewer, id: string, projection: Projection<Prisma.ApiKeyInclude, Prisma.ApiKeySelect> = {}) {
    const key = await this.prisma.apiKey.findFirst({ ...projection, where: { id, ...this.manageableBy(viewer) } });
    if (!key) throw notFound('API key');
    return key;
  }

  async update(viewer: Viewer, id: string, input: UpdateApiKeyInput) {
    const parsed = parseInput(updateInput, input);
    const key = await this.findManageable(viewer, id);
    if (parsed.scopes && key.sessionId) throw badInput('scopes', "A session API key's scopes are fixed: sessions:read and sessions:write");
    const scopes = parsed.scopes ? this.grantableScopes(viewer, parsed.scopes, key.createdBy.role) : key.scopes;
    const expiresAt = parsed.expiresAt !== undefined ? parsed.expiresAt : key.expiresAt;
    const updated = await this.withAudit(viewer, 'API_KEY_UPDATED', (tx) =>
      tx.apiKey.update({ where: { id }, data: { ...(parsed.name ? { name: parsed.name } : {}), scopes, expiresAt } }),
    );
    this.recent.forget((recent) => recent.id === id);
    if (narrows(key, { scopes, expiresAt })) {
      await this.revocations.announce({ tenantId: viewer.tenantId, apiKeyId: id, effect: 'narrowed' });
    }
    return updated;
  }

  async deactivate(viewer: Viewer, id: string) {
    await this.findManageable(viewer, id);
    const apiKey = await this.withAudit(viewer, 'API_KEY_DEACTIVATED', (tx) =>
      tx.apiKey.update({ where: { id }, data: { isActive: false } }),
    );
    await this.revocations.announce({ tenantId: viewer.tenantId, apiKeyId: id, effect: 'revoked' });
    return apiKey;
  }

  /**
   * Makes a deactivated key work again, within what its creator's role allows now (scopes it no
   * longer allows are dropped). Like creating a key, only a signed-in user may; an expired key
   * needs a new expiry first (updateApiKey).
   */
  async reactivate(viewer: Viewer, id: string) {
    assertSignedIn(viewer, 'reactivate API keys');
    const key = await this.findManageable(viewer, id);
    if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
      throw badInput('id', 'The key has expired: give it a new expiry with updateApiKey, then reactivate it');
    }
    const allowed = scopesForRole(key.createdBy.role);
    const apiKey = await this.withAudit(viewer, 'API_KEY_REACTIVATED', (tx) =>
      tx.apiKey.update({ where: { id }, data: { isActive: true, scopes: key.scopes.filter((scope) => isScope(scope) && allowed.includes(scope)) } }),
    );
    this.recent.forget((recent) => recent.id === id);
    return apiKey;
  }

  async delete(viewer: Viewer, id: string): Promise<string> {
    await this.findManageable(viewer, id);
    await this.withAudit(viewer, 'API_KEY_DELETED', (tx) => tx.apiKey.delete({ where: { id } }));
    await this.revocations.announce({ tenantId: viewer.tenantId, apiKeyId: id, effect: 'revoked' });
    return id;
  }

  /** Turns a presented key into the viewer it stands for, or refuses it. */
  async authenticate(key: string): Promise<Viewer> {
    const stored = key.startsWith(API_KEY_PREFIX) ? await this.storedKey(sha256(key)) : null;
    if (!stored) throw unauthenticated('Invalid API key');
    if (!stored.isActive) throw unauthenticated('API key is deactivated');
    if (stored.expiresAt && stored.expiresAt <= new Date()) throw unauthenticated('API key has expired');
    if (!stored.ownerIsActive) throw unauthenticated('The owner of this API key is deactivated');
    await this.touch(stored);
    return {
      tenantId: stored.tenantId,
      userId: stored.createdById,
      role: stored.ownerRole,
      credential: {
        kind: 'apiKey',
        apiKeyId: stored.id,
        scopes: stored.scopes,
        expiresAt: stored.expiresAt,
        channelSessionId: stored.sessionId,
      },
    };
  }

  private async storedKey(keyHash: string): Promise<StoredKey | null> {
    const recent = this.recent.get(keyHash);
    if (recent) return recent;
    const stored = await this.byHash(keyHash);
    if (stored) this.recent.set(keyHash, stored);
    return stored;
  }

  /**
   * The key and what its owner may do. Raw SQL, because Prisma's query compiler costs about
   * 250 µs of CPU a call more on this hot path.
   */
  private async byHash(keyHash: string): Promise<StoredKey | null> {
    const [row] = await this.prisma.$queryRaw<StoredKey[]>`
      SELECT k.id, k.tenant_id AS "tenantId", k.created_by_id AS "createdById", k.name, k.key_hash AS "keyHash",
             k.last_four AS "lastFour", k.scopes, k.is_active AS "isActive", k.last_used_at AS "lastUsedAt",
             k.expires_at AS "expiresAt", k.session_id AS "sessionId", k.created_at AS "createdAt",
             u.is_active AS "ownerIsActive", u.role::text AS "ownerRole"
        FROM api_keys k JOIN users u ON u.id = k.created_by_id
       WHERE k.key_hash = ${keyHash}`;
    return row ?? null;
  }

  /** `key` may be a recently read row shared by concurrent requests: it is updated too. */
  private async touch(key: ApiKey) {
    const now = new Date();
    const lastUsedAt = key.lastUsedAt;
    if (lastUsedAt && now.getTime() - lastUsedAt.getTime() < LAST_USED_RESOLUTION_MS) return;
    key.lastUsedAt = now;
    if (lastUsedAt) {
      await this.prisma.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: now } });
      return;
    }
    // Concurrent first requests race for the null; only the one that wins it records the first use.
    await this.outbox.transaction(async (unit) => {
      const { count } = await unit.tx.apiKey.updateMany({ where: { id: key.id, lastUsedAt: null }, data: { lastUsedAt: now } });
      if (count === 0) return;
      const data = { apiKeyId: key.id, name: key.name };
      await this.audit.write({ tenantId: key.tenantId, type: 'API_KEY_FIRST_USED', actorType: 'API_KEY', actorId: key.id, data }, unit);
    });
  }

  /** Scopes the viewer may put on a key: ones they hold, and (for another user's key) ones its owner's role allows. */
  private grantableScopes(viewer: Viewer, requested: readonly string[], ownerRole: Role = viewer.role): string[] {
    for (const scope of requested) {
      if (!isScope(scope)) throw badInput('scopes', `Unknown scope "${scope}"`);
      if (!hasScope(viewer, scope)) throw badInput('scopes', `You cannot grant "${scope}", which you do not hold`);
      if (!scopesForRole(ownerRole).includes(scope)) {
        throw badInput('scopes', `The key's owner cannot hold "${scope}", which their role does not allow`);
      }
    }
    return [...new Set(requested)];
  }

  /** Keys of another tenant, and other users' keys for non-admins, answer NOT_FOUND alike. */
  private async findManageable(viewer: Viewer, id: string) {
    const key = await this.prisma.apiKey.findFirst({ where: { id, ...this.manageableBy(viewer) }, include: { createdBy: { select: { role: true } } } });
    if (!key) throw notFound('API key');
    return key;
  }

  private manageableBy(viewer: Viewer) {
    return { tenantId: viewer.tenantId, ...(viewer.role === 'ADMIN' ? {} : { createdById: viewer.userId }) };
  }

  private async withAudit(
    viewer: Viewer,
    type: AuditEntry['type'],
    change: (tx: Prisma.TransactionClient) => Promise<ApiKey>,
  ): Promise<ApiKey> {
    return this.outbox.transaction(async (unit) => {
      const apiKey = await change(unit.tx);
      const data = { apiKeyId: apiKey.id, name: apiKey.name };
      await this.audit.write({ tenantId: viewer.tenantId, type, ...actorOf(viewer), data }, unit);
      return apiKey;
    });
  }
}


/** Whether a key loses a scope or gets a nearer expiry: connections made with it must pick up the change. */
function narrows(before: Pick<ApiKey, 'scopes' | 'expiresAt'>, after: Pick<ApiKey, 'scopes' | 'expiresAt'>): boolean {
  const lostScope = before.scopes.some((scope) => !after.scopes.includes(scope));
  const nearerExpiry = after.expiresAt !== null && (before.expiresAt === null || after.expiresAt < before.expiresAt);
  return lostScope || nearerExpiry;
}
