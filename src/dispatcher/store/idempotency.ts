import type { Db } from './db.js';

export interface StoredAnswer {
  request_hash: string;
  status: number;
  response: string;
}

/** Answers of `POST /api/events` remembered per user and Idempotency-Key, for `ttlMs`. */
export function idempotencyQueries(db: Db, now: () => number, ttlMs: number) {
  const find = db.prepare(
    `SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = ? AND key = ? AND created_at > ?`,
  );
  const save = db.prepare(`
    INSERT INTO idempotency_keys (user_id, key, request_hash, status, response, created_at)
    VALUES (@userId, @key, @hash, @status, @response, @now)
    ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, status = excluded.status,
      response = excluded.response, created_at = excluded.created_at`);
  return {
    find: (userId: string, key: string): StoredAnswer | undefined =>
      find.get(userId, key, now() - ttlMs) as StoredAnswer | undefined,
    save: (entry: { userId: string; key: string; hash: string; status: number; response: string }): void =>
      void save.run({ ...entry, now: now() }),
  };
}

export type IdempotencyQueries = ReturnType<typeof idempotencyQueries>;
