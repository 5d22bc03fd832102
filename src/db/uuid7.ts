import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

/** Random bytes drawn in bulk: one call into the CSPRNG per few hundred ids rather than two per id. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function takeRandom(size: number): number {
  if (poolOffset + size > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += size;
  return at;
}

/**
 * A UUIDv7 (RFC 9562), as Prisma's `uuid(7)` makes them, for rows written with raw SQL: ids
 * sort by time, and ids made by this process keep their order within a millisecond too (a
 * 12-bit counter in `rand_a`, RFC 9562 method 1), so rows inserted together stay in order.
 */
export function uuid7(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // Starts low, leaving room to count up within the millisecond.
    counter = pool.readUInt16BE(takeRandom(2)) & 0x3ff;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  const random = takeRandom(8);
  pool.copy(bytes, 8, random, random + 8);
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
