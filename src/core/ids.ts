import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

// Random bytes drawn 4 KiB at a time: a system call per id was 9 % of the dispatcher's time.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  offset += bytes;
  return pool.toString('hex', offset - bytes, offset);
}

/**
 * Ids like `evt_…`, `dlv_…`, `wh_…`: a prefix and 24 hex characters — 12 of time (ms) and a
 * counter, then 12 random. Time-ordered, so the dispatcher's unique indexes grow at their right
 * edge instead of splitting pages all over (the profile had row inserts at 18 %), and ids sort
 * in creation order; the random half keeps them unguessable.
 */
export function newId(prefix: string): string {
  // A logical millisecond: 16 ids a millisecond, then it runs ahead of the clock, so ids made
  // here always sort in the order they were made.
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 15) {
    lastMs += 1;
    sequence = 0;
  }
  const time = lastMs.toString(16).padStart(11, '0') + sequence.toString(16);
  return `${prefix}_${time}${randomHex(6)}`;
}
