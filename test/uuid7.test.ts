import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuid7 } from '../src/db/uuid7.ts';

test('uuid7 ids are version 7, unique, and keep the order they were made in, within a millisecond too', () => {
  const ids = Array.from({ length: 20_000 }, () => uuid7());
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids.slice(0, 100)) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const stamp = Number.parseInt(ids[0]!.replaceAll('-', '').slice(0, 12), 16);
  assert.ok(Math.abs(stamp - Date.now()) < 5_000, 'the first 48 bits are the time in milliseconds');
});

test('uuid7 random bits never repeat, across many refills of the random pool', () => {
  const tails = Array.from({ length: 5_000 }, () => uuid7().slice(19));
  assert.equal(new Set(tails).size, tails.length);
});
