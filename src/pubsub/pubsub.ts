import type { DomainEventMessage } from '../events/messages.ts';
import type { StreamEventMessage, TypingMessage } from '../modules/chats/streaming/stream-event.ts';

/**
 * Every topic and the JSON payload it carries. Payloads cross Redis as JSON,
 * so they hold only JSON values (dates as ISO strings), on every backend alike.
 */
export type PubSubEvents = {
  /** Every dispatched outbox event, keyed by its type. */
  domainEvent: DomainEventMessage;
  /** A credential stopped working or lost rights: open connections that use it must close (instance-wide). */
  credentialRevoked: { tenantId: string; effect: 'revoked' | 'narrowed'; apiKeyId?: string; sessionId?: string };
  /** An operator suspended or resumed a team (instance-wide): while suspended, every credential of it is refused. */
  teamSuspension: { tenantId: string; suspended: boolean };
  /** One piece of an assistant reply, keyed by the message id. */
  messageStream: StreamEventMessage;
  /** Someone asked to stop a reply; the instance generating it aborts. Keyed by the message id. */
  messageCancelRequested: { messageId: string };
  /** Someone is typing in a chat, keyed by the chat id. */
  chatTyping: TypingMessage;
};

export type PubSubEvent = keyof PubSubEvents;

export type Unlisten = () => Promise<void>;

/**
 * The tenant slot of the few control topics every instance hears whatever the tenant (credential
 * revocations). Their payloads carry ids only, never a tenant's data.
 */
export const INSTANCE_WIDE = '*';

/** Topics always carry the tenant, so a subscriber can only ever hear its own tenant. */
export interface PubSub {
  /** `key` narrows a topic further, e.g. to one event type. */
  publish<E extends PubSubEvent>(event: E, tenantId: string, payload: PubSubEvents[E], key?: string): Promise<void>;
  subscribe<E extends PubSubEvent>(event: E, tenantId: string, key?: string): AsyncIterable<PubSubEvents[E]>;
  /**
   * Calls `handler` for every message; resolves once the subscription is live, so whatever is
   * published after that is heard (what `subscribe` cannot promise, being lazy).
   */
  listen<E extends PubSubEvent>(
    event: E,
    tenantId: string,
    key: string | undefined,
    handler: (payload: PubSubEvents[E]) => void,
  ): Promise<Unlisten>;
  /**
   * Whether what is published now reaches this instance's subscribers: false while Redis is
   * unreachable and until this instance's channels are subscribed again. Always true in memory.
   */
  isConnected(): boolean;
  /** Calls `listener` whenever `isConnected()` changes; answers a function that stops it. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  close(): Promise<void>;
}

export function topicOf(event: PubSubEvent, tenantId: string, key?: string): string {
  return key ? `${event}:${tenantId}:${key}` : `${event}:${tenantId}`;
}
