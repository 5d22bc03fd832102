/**
 * Every module's events in one table: what `emit` accepts (each type with its payload), and
 * which types webhook endpoints may subscribe to. Each module declares its own in its
 * `events.ts`; this is where they meet.
 */
import type { DomainEventMessage } from '../events/messages.ts';
import type { Outbox as OutboxOf, UnitOfWork as UnitOfWorkOf } from '../events/outbox.ts';
import type { PubSub, Unlisten } from '../pubsub/pubsub.ts';
import { agentEvents, type AgentEvents } from './agents/events.ts';
import { auditEvents, type AuditEvents } from './audit/events.ts';
import { channelEvents, type ChannelEvents } from './channels/events.ts';
import { chatEvents, type ChatEvents } from './chats/events.ts';
import { interactionEvents, type InteractionEvents } from './interactions/events.ts';
import { invitationEvents, type InvitationEvents } from './invitations/events.ts';
import { leadEvents, type LeadEvents } from './leads/events.ts';
import { sessionEvents, type SessionEvents } from './channels/sessions/events.ts';
import { userEvents, type UserEvents } from './users/events.ts';
import { webhookEvents, type WebhookEvents } from './webhooks/events.ts';

export type AppEvents = ChannelEvents & AgentEvents & ChatEvents & SessionEvents & LeadEvents & InteractionEvents & WebhookEvents & AuditEvents & UserEvents & InvitationEvents;

export type EventType = keyof AppEvents;

export type Outbox = OutboxOf<AppEvents>;
export type UnitOfWork = UnitOfWorkOf<AppEvents>;

export const eventCatalogue = {
  ...channelEvents,
  ...agentEvents,
  ...chatEvents,
  ...sessionEvents,
  ...leadEvents,
  ...interactionEvents,
  ...webhookEvents,
  ...auditEvents,
  ...userEvents,
  ...invitationEvents,
};

export const webhookEventTypes = (Object.keys(eventCatalogue) as EventType[]).filter((type) => eventCatalogue[type].webhook);

export function isWebhookEventType(value: string): value is EventType {
  return webhookEventTypes.includes(value as EventType);
}

/** An event of `Type` as subscribers hear it, with that type's payload. */
export type AppEventMessage<Type extends EventType> = DomainEventMessage<Type, AppEvents[Type]>;

// The dispatcher publishes outbox rows whose payloads `emit` type-checked: these two functions
// are where that type comes back, instead of a cast at each subscriber.

/** The events of one type in a tenant, live. */
export function domainEvents<Type extends EventType>(pubsub: PubSub, tenantId: string, type: Type): AsyncIterable<AppEventMessage<Type>> {
  return pubsub.subscribe('domainEvent', tenantId, type) as AsyncIterable<AppEventMessage<Type>>;
}

/** Calls `handler` with every event of one type in a tenant; resolves once listening. */
export function listenToDomainEvents<Type extends EventType>(pubsub: PubSub, tenantId: string, type: Type, handler: (event: AppEventMessage<Type>) => void): Promise<Unlisten> {
  return pubsub.listen('domainEvent', tenantId, type, handler as (event: DomainEventMessage) => void);
}
