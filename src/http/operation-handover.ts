import type { ExecutionResult } from 'graphql';
import type { Deliver } from './shared-subscriptions.ts';

/** How long a parked subscription waits for its client to come back. */
const HANDOVER_WAIT_MS = 30_000;
/** Results a parked subscription may hold; past that it is stopped, and a returning client starts afresh. */
const MAX_PARKED_RESULTS = 1_000;

type Pulled = { result: IteratorResult<ExecutionResult> } | { error: unknown };
type Consumer = { resolve: (result: IteratorResult<ExecutionResult>) => void; reject: (error: unknown) => void };

/** What one socket's transport holds as the subscription's stream. */
type SocketHandle = AsyncIterableIterator<ExecutionResult>;

/**
 * A subscription that can change sockets. Between the transport and the execution's stream it
 * passes results through; once parked, it keeps the execution running and holds what the
 * execution produces (results, and what a shared execution delivers directly), until a new
 * socket attaches and gets them first, in order, or the wait runs out. Each socket gets a
 * handle of its own: the socket that was left can no longer take results, nor stop the
 * subscription when its transport tears it down late.
 */
export class HandoverRelay {
  private source: AsyncIterator<ExecutionResult> | null = null;
  private target: Deliver;
  private parked = false;
  /** Which socket's handle is the current one; parking makes every handle so far out of date. */
  private socket = 0;
  private finished = false;
  /** Stopped before its stream ended (dropped, expired, or over its cap): nobody may take it over. */
  private abandoned = false;
  private pulling = false;
  private consumer: Consumer | null = null;
  /** Consumers of the socket that was left: they get `done` once that socket's operations are stopped. */
  private readonly leftBehind: Consumer[] = [];
  private readonly held: Pulled[] = [];
  private readonly heldDeliveries: string[] = [];
  private onFinish = () => {};

  constructor(deliver: Deliver) {
    this.target = deliver;
  }

  /** What a shared execution delivers directly: sent on the current socket, or held while parked. */
  readonly deliver: Deliver = (resultJson) => {
    if (!this.parked) return this.target(resultJson);
    this.heldDeliveries.push(resultJson);
    if (this.heldDeliveries.length > MAX_PARKED_RESULTS) void this.stop();
  };

  /** Starts relaying the execution's stream; `onFinish` runs once it ends or is stopped for good. */
  relay(source: AsyncIterable<ExecutionResult>, onFinish: () => void): SocketHandle {
    this.source = source[Symbol.asyncIterator]();
    this.onFinish = onFinish;
    return this.handle();
  }

  /** Whether a returning client may take it over. */
  get claimable(): boolean {
    return !this.abandoned;
  }

  /** Detaches from the current socket: from now on results are held, and the execution keeps running. */
  park(): void {
    if (this.finished) return;
    this.parked = true;
    this.socket++;
    if (this.consumer) this.leftBehind.push(this.consumer);
    this.consumer = null;
    this.pull();
  }

  /** Attaches to a new socket: what was held is delivered first. `onFinish` replaces the one given before. */
  attach(deliver: Deliver, onFinish: () => void): SocketHandle {
    this.parked = false;
    this.target = deliver;
    this.onFinish = onFinish;
    for (const resultJson of this.heldDeliveries.splice(0)) deliver(resultJson);
    return this.handle();
  }

  /** Stops the execution for good. */
  async stop(): Promise<void> {
    if (this.finished) return;
    this.abandoned = true;
    this.finish();
    this.held.length = 0;
    this.heldDeliveries.length = 0;
    this.consumer?.resolve({ value: undefined, done: true });
    this.consumer = null;
    await this.source?.return?.()?.catch(() => {});
  }

  private handle(): SocketHandle {
    const socket = this.socket;
    const handle: SocketHandle = {
      next: () => this.nextFor(socket),
      return: () => this.returnFor(socket),
      [Symbol.asyncIterator]: () => handle,
    };
    return handle;
  }

  private nextFor(socket: number): Promise<IteratorResult<ExecutionResult>> {
    if (socket !== this.socket) return new Promise((resolve, reject) => this.leftBehind.push({ resolve, reject }));
    const held = this.held.shift();
    if (held) return 'error' in held ? Promise.reject(held.error) : Promise.resolve(held.result);
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.consumer = { resolve, reject };
      this.pull();
    });
  }

  /** A socket's transport stops the operation: for good, unless that socket was left for another. */
  private async returnFor(socket: number): Promise<IteratorResult<ExecutionResult>> {
    for (const consumer of this.leftBehind.splice(0)) consumer.resolve({ value: undefined, done: true });
    if (socket === this.socket) await this.stop();
    return { value: undefined, done: true };
  }

  private pull(): void {
    if (this.pulling || this.finished || !this.source) return;
    this.pulling = true;
    this.source.next().then(
      (result) => this.take({ result }),
      (error: unknown) => this.take({ error }),
    );
  }

  private take(pulled: Pulled): void {
    this.pulling = false;
    if (this.finished) return;
    const last = 'error' in pulled || pulled.result.done === true;
    if (last) this.finish();
    if (this.consumer && !this.parked) {
      const { resolve, reject } = this.consumer;
      this.consumer = null;
      if ('error' in pulled) reject(pulled.error);
      else resolve(pulled.result);
      return;
    }
    this.held.push(pulled);
    if (this.held.length > MAX_PARKED_RESULTS) void this.stop();
    else if (this.parked && !last) this.pull();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish();
  }
}

/**
 * Subscriptions parked when their socket was closed on purpose with a code clients retry (an
 * expired credential), each under a key naming who subscribed to what: the client's retry, on
 * the same instance, with a fresh credential of the same holder and rights and the same
 * operation id and payload, takes its subscription over, and misses nothing published meanwhile.
 */
export class OperationHandovers {
  private readonly parked = new Map<string, { relay: HandoverRelay; timer: NodeJS.Timeout }>();

  park(key: string, relay: HandoverRelay): void {
    const earlier = this.claim(key);
    void earlier?.stop();
    relay.park();
    const timer = setTimeout(() => {
      if (this.parked.get(key)?.relay === relay) this.parked.delete(key);
      void relay.stop();
    }, HANDOVER_WAIT_MS);
    timer.unref();
    this.parked.set(key, { relay, timer });
  }

  /** The relay parked under `key`, now the caller's, or null. */
  claim(key: string): HandoverRelay | null {
    const entry = this.parked.get(key);
    if (!entry) return null;
    this.parked.delete(key);
    clearTimeout(entry.timer);
    return entry.relay.claimable ? entry.relay : null;
  }

  /** Parked subscriptions waiting for their client. */
  get size(): number {
    return this.parked.size;
  }

  async stopAll(): Promise<void> {
    const entries = [...this.parked.values()];
    this.parked.clear();
    for (const { timer } of entries) clearTimeout(timer);
    await Promise.allSettled(entries.map(({ relay }) => relay.stop()));
  }
}
