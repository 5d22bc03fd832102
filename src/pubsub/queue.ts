/**
 * An async iterator fed by pushes: the bridge from callback subscriptions to GraphQL
 * subscriptions. `onReturn` runs once, when the consumer stops or the queue ends.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | null = null;
  private ended = false;
  private failure: { error: unknown } | null = null;
  private cleanup: Promise<void> | null = null;

  constructor(private readonly onReturn: () => Promise<void> | void = () => {}) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** Ends after the items already pushed have been taken. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.waiting && this.items.length === 0) {
      const { resolve } = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
    void this.cleanUp();
  }

  /** Ends with an error, thrown to the consumer after the items already pushed. */
  fail(error: unknown): void {
    if (this.ended) return;
    if (this.waiting && this.items.length === 0) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(error);
    } else {
      this.failure = { error };
    }
    this.end();
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.failure = null;
    this.end();
    await this.cleanUp();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  /** Runs `onReturn` once; its failure is swallowed, as there is nobody left to tell. */
  private cleanUp(): Promise<void> {
    this.cleanup ??= Promise.resolve()
      .then(() => this.onReturn())
      .catch(() => {});
    return this.cleanup;
  }
}
