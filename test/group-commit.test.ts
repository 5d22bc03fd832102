import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../src/db/group-commit.ts';

/** A commit that records each batch it was given and answers each item doubled; it refuses any batch holding `bad`. */
function doubling(bad?: number) {
  const batches: number[][] = [];
  const commit = async (items: number[]) => {
    batches.push(items);
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (bad !== undefined && items.includes(bad)) throw new Error(`refused ${bad}`);
    return items.map((item) => item * 2);
  };
  return { batches, commit };
}

describe('group commit', () => {
  it('commits the first item at once and everything submitted meanwhile together in the next commit, each caller getting its own result', async () => {
    const { batches, commit } = doubling();
    const group = new GroupCommit({ commit, maxWeight: 100 });
    const results = await Promise.all([1, 2, 3, 4].map((item) => group.submit(item)));
    assert.deepEqual(results, [2, 4, 6, 8]);
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
  });

  it('waits gatherMs for company before the first commit', async () => {
    const { batches, commit } = doubling();
    const group = new GroupCommit({ commit, maxWeight: 100, gatherMs: 10 });
    const first = group.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 2));
    assert.deepEqual(await Promise.all([first, group.submit(2)]), [2, 4]);
    assert.deepEqual(batches, [[1, 2]]);
  });

  it('keeps each commit within maxWeight by the items weights, and sends an item heavier than that alone', async () => {
    const { batches, commit } = doubling();
    const group = new GroupCommit({ commit, maxWeight: 5, weight: (item: number) => item, gatherMs: 1 });
    await Promise.all([2, 3, 1, 9, 4].map((item) => group.submit(item)));
    assert.deepEqual(batches, [[2, 3], [1], [9], [4]]);
  });

  it('commits a refused batch again item by item, so that only the bad item fails', async () => {
    const { batches, commit } = doubling(3);
    const group = new GroupCommit({ commit, maxWeight: 100, gatherMs: 1 });
    const settled = await Promise.allSettled([1, 3, 5].map((item) => group.submit(item)));
    assert.deepEqual(
      settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message)),
      [2, 'refused 3', 10],
    );
    assert.deepEqual(batches, [[1, 3, 5], [1], [3], [5]]);
  });

  it('fails each caller of a batch whose commit throws before it returns a promise, alone too, and goes on taking items', async () => {
    let throwing = true;
    const group = new GroupCommit({
      maxWeight: 100,
      gatherMs: 1,
      commit: (items: number[]) => {
        if (throwing) throw new Error('no connection');
        return Promise.resolve(items.map((item) => item * 2));
      },
    });
    const settled = await Promise.allSettled([1, 2].map((item) => group.submit(item)));
    assert.deepEqual(settled.map((outcome) => outcome.status), ['rejected', 'rejected']);
    throwing = false;
    assert.equal(await group.submit(3), 6);
  });
});
