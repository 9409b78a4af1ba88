import { randomFillSync } from 'node:crypto';

/** Random bytes for this many ids are drawn at once: one call to the system's generator per batch, not per id. */
const IDS_PER_DRAW = 128;
const pool = Buffer.alloc(16 * IDS_PER_DRAW);
let next = pool.length;

/** A time-ordered UUID (RFC 9562 version 7), like the database's uuid_generate_v7(). */
export function uuidv7(now: number = Date.now()): string {
  if (next === pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const bytes = Buffer.from(pool.subarray(next, next + 16));
  next += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
