import type { Prisma } from '../generated/prisma/client.ts';
import type { EventMap } from './catalogue.ts';
import type { DomainEventMessage } from './messages.ts';
import type { UnitOfWork } from './outbox.ts';

/** One job as its consumer gets it. */
export type Job<Payload> = {
  id: string;
  tenantId: string;
  /** Unique per consumer: the event id, or what the consumer's `keyOf` made of it. */
  key: string;
  payload: Payload;
  /** Attempts made before this one. */
  attemptCount: number;
};

/**
 * Does I/O outside any transaction, one job at a time. It runs at least once: a crash or a
 * failure runs it again, so what it does outside the database goes through `EffectKeys`.
 * `signal` aborts at shutdown; the job is then handed back, not counted as an attempt.
 */
export type EffectConsumer<Payload> = { kind: 'effect'; run(job: Job<Payload>, signal: AbortSignal): Promise<void> };

/**
 * Changes the database only, in the transaction that also marks its jobs done, so its effect
 * happens exactly once. It gets a batch; jobs sharing an ordering key come oldest first.
 */
export type TransactionalConsumer<Events extends EventMap, Payload> = {
  kind: 'transactional';
  run(unit: UnitOfWork<Events>, jobs: Job<Payload>[]): Promise<void>;
};

export type AnyConsumer<Events extends EventMap, Payload> = EffectConsumer<Payload> | TransactionalConsumer<Events, Payload>;

/** What a reaction to events of `Type` gets: the event as subscribers and webhooks see it. */
export type EventJobPayload<Events extends EventMap, Type extends keyof Events & string> = DomainEventMessage<Type, Events[Type]>;

/**
 * A consumer the dispatcher feeds with events of type `on`, in the transaction that marks them
 * dispatched. `keyOf` names the job when something else must find it (the event id otherwise);
 * `select` narrows a dispatch batch's events to those it reacts to, with one query for all of
 * them, so that events it would ignore make no job.
 */
export type EventReaction<Events extends EventMap> = {
  [Type in keyof Events & string]: AnyConsumer<Events, EventJobPayload<Events, Type>> & {
    on: Type;
    keyOf?: (event: EventJobPayload<Events, Type>) => string;
    select?: (db: Prisma.TransactionClient, events: EventJobPayload<Events, Type>[]) => Promise<EventJobPayload<Events, Type>[]>;
  };
}[keyof Events & string];

/** A consumer whose jobs its own module enqueues (an inbound payload), not the dispatcher. */
export type QueueConsumer<Events extends EventMap, Payload> = AnyConsumer<Events, Payload> & { on?: undefined; keyOf?: undefined; select?: undefined };

/** Every consumer by name: the names are stored with their jobs, so a renamed consumer leaves its jobs behind. */
export type ConsumerTable<Events extends EventMap> = Record<string, EventReaction<Events> | QueueConsumer<Events, never>>;

/** How the dispatcher sees a reaction: its name, how it names jobs, and which events it wants. */
export type Reaction = {
  name: string;
  keyOf: (event: { id: string }) => string;
  select?: (db: Prisma.TransactionClient, events: { id: string }[]) => Promise<{ id: string }[]>;
};

/** The reactions to each event type, as the dispatcher schedules them. */
export function reactionsByType<Events extends EventMap>(table: ConsumerTable<Events>): Map<string, Reaction[]> {
  const byType = new Map<string, Reaction[]>();
  for (const [name, consumer] of Object.entries(table)) {
    if (!consumer.on) continue;
    const reaction = { name, keyOf: (consumer.keyOf ?? ((event: { id: string }) => event.id)) as Reaction['keyOf'], select: consumer.select as Reaction['select'] };
    byType.set(consumer.on, [...(byType.get(consumer.on) ?? []), reaction]);
  }
  return byType;
}
