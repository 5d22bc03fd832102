/**
 * The shape of an event table: each module declares the events it emits, with the JSON payload
 * each one carries (`EventMap`), and for each one whether webhook endpoints may subscribe to it
 * and what it means (`Catalogue`). The composition of every module's table is
 * `src/modules/events.ts`; this layer knows none of them.
 */
export type EventMap = { [type: string]: object };

export type EventDescription = { webhook: boolean; description: string };

export type Catalogue<Events extends EventMap> = { [Type in keyof Events]: EventDescription };

/** One event of `Events` with its payload, as `emitAll` takes them. */
export type DomainEvent<Events extends EventMap> = {
  [Type in keyof Events & string]: { tenantId: string; type: Type; data: Events[Type] };
}[keyof Events & string];
