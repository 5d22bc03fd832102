import { setTimeout as delay } from 'node:timers/promises';

export type GroupCommitOptions<Item, Result> = {
  /** Commits the items together; answers one result per item, in their order. */
  commit(items: Item[]): Promise<Result[]>;
  /** The most a commit takes, as the sum of its items' weights; an item heavier than that goes alone. */
  maxWeight: number;
  /** @default 1 per item */
  weight?(item: Item): number;
  /**
   * How long the first item after a quiet moment waits for others to share its commit. Without
   * it, that item is committed at once, and what comes meanwhile waits for the next commit.
   */
  gatherMs?: number;
};

type Waiting<Item, Result> = { item: Item; resolve(result: Result): void; reject(error: unknown): void };

/**
 * Group commit: items submitted while a commit runs wait for it, then go together in the next
 * one, so that many concurrent writers cost few statements. Each submitter learns its own item's
 * result once it is committed. When a shared commit fails, its items are committed one by one,
 * so that one bad item fails only its own submitter.
 */
export class GroupCommit<Item, Result> {
  private waiting: Waiting<Item, Result>[] = [];
  private draining = false;

  constructor(private readonly options: GroupCommitOptions<Item, Result>) {}

  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain() {
    this.draining = true;
    try {
      if (this.options.gatherMs) await delay(this.options.gatherMs);
      while (this.waiting.length > 0) {
        const batch = this.takeBatch();
        try {
          const results = await this.options.commit(batch.map(({ item }) => item));
          batch.forEach((waiting, index) => waiting.resolve(results[index]!));
        } catch (error) {
          if (batch.length === 1) batch[0]!.reject(error);
          else for (const waiting of batch) await this.commitAlone(waiting);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async commitAlone(waiting: Waiting<Item, Result>) {
    try {
      const [result] = await this.options.commit([waiting.item]);
      waiting.resolve(result!);
    } catch (error) {
      waiting.reject(error);
    }
  }

  private takeBatch(): Waiting<Item, Result>[] {
    const weight = this.options.weight ?? (() => 1);
    let total = 0;
    let count = 0;
    while (count < this.waiting.length && (count === 0 || total + weight(this.waiting[count]!.item) <= this.options.maxWeight)) {
      total += weight(this.waiting[count]!.item);
      count++;
    }
    return this.waiting.splice(0, count);
  }
}
