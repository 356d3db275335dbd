import type { Db } from './db.js';

/**
 * What the monitoring page's figures are kept from, incrementally (issue 16: recomputing them
 * over every attempt took ~100 ms per poll at 46k attempts). Attempts are only ever appended,
 * so they are read once, by `seq`. Deliveries are read once by `seq` too; a delivery still
 * pending is looked at again until it settles — a settled status (succeeded, failed,
 * cancelled) never changes again.
 */
export function overviewQueries(db: Db) {
  const attemptsAfter = db
    .prepare(
      `SELECT seq, webhook_id, delivery_id, number, at, status_code, duration_ms, error, chaos
       FROM attempts WHERE seq > ? ORDER BY seq LIMIT ?`,
    )
    .raw();
  const deliveriesAfter = db
    .prepare(`SELECT seq, webhook_id, status FROM deliveries WHERE seq > ? ORDER BY seq LIMIT ?`)
    .raw();
  const settledIn = db
    .prepare(`SELECT seq, status FROM deliveries WHERE seq >= ? AND seq < ? AND status != 'pending'`)
    .raw();
  return {
    /** [seq, webhook_id, delivery_id, number, at, status_code, duration_ms, error, chaos], oldest first. */
    attemptsAfter: (seq: number, limit: number) => attemptsAfter.all(seq, limit) as AttemptTuple[],
    /** [seq, webhook_id, status], oldest first. */
    deliveriesAfter: (seq: number, limit: number) => deliveriesAfter.all(seq, limit) as Array<[number, string, string]>,
    /** [seq, status] of the deliveries with `from <= seq < to` that are no longer pending. */
    settledIn: (from: number, to: number) => settledIn.all(from, to) as Array<[number, string]>,
  };
}

export type AttemptTuple = [
  number,
  string,
  string,
  number,
  number,
  number | null,
  number,
  string | null,
  string | null,
];
export type OverviewQueries = ReturnType<typeof overviewQueries>;
