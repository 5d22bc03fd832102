/**
 * When each inbound message was stored and announced: the `channelMessageReceived` events of
 * one session, followed over graphql-ws as a frontend would, with their arrival times.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { print } from 'graphql';
import { OnChannelMessageReceived } from '../../test/support/channel-operations.ts';
import { wsClient } from '../../test/support/client.ts';

/** A SUBSCRIBE has no acknowledgement: give it this long to be live before the load starts. */
const SUBSCRIBE_SETTLE_MS = 1_000;

export type Arrivals = {
  /** performance.now() at each message's event, by provider message id. */
  at: Map<string, number>;
  /** Resolves once every id has arrived, false after `timeoutMs`. */
  waitFor(ids: string[], timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
};

export async function followArrivals(wsUrl: string, token: string, sessionId: string): Promise<Arrivals> {
  const at = new Map<string, number>();
  const { client } = wsClient(wsUrl, { authorization: `Bearer ${token}` });
  const unsubscribe = client.subscribe(
    { query: print(OnChannelMessageReceived), variables: { sessionId } },
    {
      next: ({ data }) => {
        const id = (data as { channelMessageReceived?: { providerMessageId: string | null } } | null)?.channelMessageReceived?.providerMessageId;
        if (id && !at.has(id)) at.set(id, performance.now());
      },
      error: () => {},
      complete: () => {},
    },
  );
  await delay(SUBSCRIBE_SETTLE_MS);
  return {
    at,
    async waitFor(ids, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (ids.every((id) => at.has(id))) return true;
        await delay(50);
      }
      return false;
    },
    async close() {
      unsubscribe();
      await client.dispose();
    },
  };
}
