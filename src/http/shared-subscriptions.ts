import type { ExecutionResult } from 'graphql';
import { AsyncQueue } from '../pubsub/queue.ts';

type Started = AsyncIterable<ExecutionResult> | ExecutionResult;

/** Sends one result, already serialised as JSON, to one subscriber. */
export type Deliver = (resultJson: string) => void;

/**
 * A member's side: `deliver` gets every result; `ended` is what the transport holds as the
 * subscription's stream, which yields nothing itself and ends or fails with the execution.
 */
type Member = { deliver: Deliver; ended: AsyncQueue<ExecutionResult>; after: number };

type Group = {
  members: Set<Member>;
  /** The shared execution's results; set once it has started as a stream. */
  source?: AsyncIterator<ExecutionResult>;
  /** What `start` gave when it was not a stream (a refusal): every member gets it as it is. */
  started: Promise<ExecutionResult | null>;
  /** For a resumable stream: where results carry their position, and every result so far, serialised. */
  stream: { path: StreamPath; history: { position: number; json: string }[] } | null;
};

/** Where a result carries its position: `result.data[field][position]`. */
type StreamPath = readonly [field: string, position: string];

/**
 * Where a member starts: `live` for an execution of live-only fields, where a member hears what
 * happens from when it joins; `{ after, path }` for a resumable stream, whose shared execution
 * runs from its start, where a member gets the results whose position is past `after`, those
 * already produced first. A result without a position (an error) goes to every member.
 */
export type JoinFrom = 'live' | { after: number; path: StreamPath };

/**
 * Subscribers that would each run the same execution share one: the first to join starts it,
 * every later one hears its results from then on, and the last to leave stops it. graphql-js
 * executes an event's selection once for all of them, and the result is serialised once.
 *
 * Only for subscriptions whose subscribers hear events as they happen, with nothing replayed on
 * subscribing, or for resumable streams (schema/live-only.ts), and only when the key covers
 * everything the results depend on (the document, its variables but the position, and the
 * subscriber's rights): a member gets exactly what its own execution would have given it.
 */
export class SharedSubscriptions {
  private readonly groups = new Map<string, Group>();

  /**
   * Joins the execution of `key`, starting it with `start` if none runs. Answers a refusal as
   * `start` gave it, or the stream the transport holds for the subscription: results reach the
   * member through `deliver`, and the stream ends when the execution does.
   */
  async join(key: string, start: () => Promise<Started>, deliver: Deliver, from: JoinFrom = 'live'): Promise<Started> {
    const group = this.groups.get(key) ?? this.startGroup(key, start, from === 'live' ? null : from.path);
    const after = from === 'live' ? -Infinity : from.after;
    const member: Member = { deliver, after, ended: new AsyncQueue(() => this.leave(key, group, member)) };
    for (const { position, json } of group.stream?.history ?? []) if (position > after) deliver(json);
    group.members.add(member);
    const refusal = await group.started;
    if (refusal) {
      group.members.delete(member);
      return refusal;
    }
    return member.ended;
  }

  /** Executions running. */
  get size(): number {
    return this.groups.size;
  }

  private startGroup(key: string, start: () => Promise<Started>, path: StreamPath | null): Group {
    const group: Group = { members: new Set(), started: Promise.resolve(null), stream: path && { path, history: [] } };
    this.groups.set(key, group);
    group.started = start().then(
      (result) => {
        if (!(Symbol.asyncIterator in result)) {
          this.forget(key, group);
          return result;
        }
        group.source = result[Symbol.asyncIterator]();
        if (group.members.size === 0) void this.stop(key, group);
        else void this.pump(key, group, group.source);
        return null;
      },
      (error: unknown) => {
        this.forget(key, group);
        throw error;
      },
    );
    group.started.catch(() => {});
    return group;
  }

  private async pump(key: string, group: Group, source: AsyncIterator<ExecutionResult>) {
    try {
      const { stream } = group;
      for (let next = await source.next(); !next.done; next = await source.next()) {
        const json = JSON.stringify(next.value);
        const position = stream ? positionOf(next.value, stream.path) : Infinity;
        stream?.history.push({ position, json });
        for (const member of group.members) if (position > member.after) member.deliver(json);
      }
      this.forget(key, group);
      // A stream may end on a position below where a member resumed (its log was lost and the
      // last event was read from the database): that member still gets the last event, as its own
      // execution would give it.
      const last = stream?.history.at(-1);
      if (last) for (const member of group.members) if (member.after > last.position) member.deliver(last.json);
      for (const member of group.members) member.ended.end();
    } catch (error) {
      this.forget(key, group);
      for (const member of group.members) member.ended.fail(error);
    }
  }

  private leave(key: string, group: Group, member: Member) {
    group.members.delete(member);
    if (group.members.size === 0 && group.source) return this.stop(key, group);
  }

  private async stop(key: string, group: Group) {
    this.forget(key, group);
    await group.source?.return?.();
  }

  private forget(key: string, group: Group) {
    if (this.groups.get(key) === group) this.groups.delete(key);
  }
}

function positionOf(result: ExecutionResult, [field, position]: StreamPath): number {
  const value = (result.data?.[field] as Record<string, unknown> | null | undefined)?.[position];
  return typeof value === 'number' ? value : Infinity;
}
