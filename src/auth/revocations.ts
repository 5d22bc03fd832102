import type { Logger } from '../logger.ts';
import { INSTANCE_WIDE, type PubSub, type Unlisten } from '../pubsub/pubsub.ts';
import type { RevokedSessions } from './revoked-sessions.ts';
import type { Viewer } from './viewer.ts';

/**
 * `revoked`: the credential no longer works at all (logout, deactivation, deletion).
 * `narrowed`: it still works, with fewer rights or a nearer expiry; a connection made with it
 * must authenticate again to get what it holds now.
 * `suspended`: its team was suspended; it works again once the team is resumed.
 */
export type RevocationEffect = 'revoked' | 'narrowed' | 'suspended';

export type Revocation = {
  tenantId: string;
  effect: Exclude<RevocationEffect, 'suspended'>;
  apiKeyId?: string;
  /** A sign-in session (refresh token family). */
  sessionId?: string;
};

type Watcher = (effect: RevocationEffect) => void;

/**
 * Announces credentials that stopped working or lost rights, to every instance, so that
 * long-lived connections made with them close instead of living on until they expire, and so
 * that a revoked session's access tokens are refused at once on every instance.
 * One listener per instance serves every open connection.
 */
export class Revocations {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  private unlisten: Unlisten | undefined;

  constructor(
    private readonly pubsub: PubSub,
    private readonly revokedSessions: RevokedSessions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.revokedSessions.start();
    this.unlisten = await this.pubsub.listen('credentialRevoked', INSTANCE_WIDE, undefined, (revocation) => this.heard(revocation));
  }

  async stop(): Promise<void> {
    this.revokedSessions.stop();
    await this.unlisten?.().catch(() => {});
  }

  /** Whether a sign-in session was revoked: its access tokens are refused although unexpired. */
  isSessionRevoked(sessionId: string): boolean {
    return this.revokedSessions.has(sessionId);
  }

  async announce(revocation: Revocation): Promise<void> {
    // This instance knows at once; the others when they hear it, or at their next re-read.
    this.heard(revocation);
    try {
      await this.pubsub.publish('credentialRevoked', INSTANCE_WIDE, revocation);
    } catch (error) {
      this.logger.error({ err: error, ...revocation }, 'could not announce a revoked credential');
    }
  }

  /** Calls `listener` with every revocation this instance hears, its own and other instances'. */
  onRevocation(listener: (revocation: Revocation) => void): void {
    this.listeners.add(listener);
  }

  /** Calls `onRevoked` once when the viewer's credential is revoked or narrowed; returns a function that stops watching. */
  watch(viewer: Viewer, onRevoked: Watcher): () => void {
    const key = credentialKey(viewer);
    const watchers = this.watchers.get(key) ?? new Set();
    this.watchers.set(key, watchers);
    const once: Watcher = (effect) => {
      stop();
      onRevoked(effect);
    };
    const stop = () => {
      watchers.delete(once);
      if (watchers.size === 0) this.watchers.delete(key);
    };
    watchers.add(once);
    return stop;
  }

  /** Closes every connection of the team on this instance, whatever its credential (a suspended team). */
  closeTeam(tenantId: string): void {
    const prefix = `${tenantId}:`;
    for (const [key, watchers] of [...this.watchers]) {
      if (!key.startsWith(prefix)) continue;
      for (const watcher of [...watchers]) watcher('suspended');
    }
  }

  private heard(revocation: Revocation) {
    if (revocation.sessionId && revocation.effect === 'revoked') this.revokedSessions.remember(revocation.sessionId);
    for (const listener of this.listeners) listener(revocation);
    const keys = [
      revocation.apiKeyId && `${revocation.tenantId}:key:${revocation.apiKeyId}`,
      revocation.sessionId && `${revocation.tenantId}:session:${revocation.sessionId}`,
    ];
    for (const key of keys) {
      if (!key) continue;
      for (const watcher of [...(this.watchers.get(key) ?? [])]) watcher(revocation.effect);
    }
  }
}

function credentialKey(viewer: Viewer): string {
  return viewer.credential.kind === 'apiKey'
    ? `${viewer.tenantId}:key:${viewer.credential.apiKeyId}`
    : `${viewer.tenantId}:session:${viewer.credential.sessionId}`;
}
