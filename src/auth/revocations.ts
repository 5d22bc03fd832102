import type { Logger } from '../logger.ts';
import type { PubSub } from '../pubsub/pubsub.ts';
import type { Viewer } from './viewer.ts';

export type Revocation = { apiKeyId?: string; sessionId?: string };

/**
 * Announces credentials that stopped working, to every instance, so that long-lived
 * connections authenticated with them close instead of living on until they expire.
 */
export class Revocations {
  constructor(
    private readonly pubsub: PubSub,
    private readonly logger: Logger,
  ) {}

  async announce(tenantId: string, revocation: Revocation): Promise<void> {
    try {
      await this.pubsub.publish('credentialRevoked', tenantId, revocation);
    } catch (error) {
      this.logger.error({ err: error, ...revocation }, 'could not announce a revoked credential');
    }
  }

  /** Calls `onRevoked` once when the viewer's credential is revoked; returns a function that stops watching. */
  watch(viewer: Viewer, onRevoked: () => void): () => void {
    const iterator = this.pubsub.subscribe('credentialRevoked', viewer.tenantId)[Symbol.asyncIterator]();
    const matches = (revocation: Revocation) =>
      viewer.credential.kind === 'apiKey'
        ? revocation.apiKeyId === viewer.credential.apiKeyId
        : revocation.sessionId === viewer.credential.sessionId;
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (matches(next.value)) return onRevoked();
      }
    })().catch((error) => this.logger.error({ err: error }, 'stopped watching for revoked credentials'));
    return () => {
      // During shutdown Redis may already be closed; nothing is left to unsubscribe from then.
      Promise.resolve(iterator.return?.()).catch(() => {});
    };
  }
}
