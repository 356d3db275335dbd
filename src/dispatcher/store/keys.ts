import type { Db } from './db.js';

/** The dev key made on first start when no --api-key is given (SPEC §4), kept so it survives restarts. */
export function keyQueries(db: Db, now: () => number) {
  const findDev = db.prepare(`SELECT key, user_id FROM api_keys WHERE kind = 'dev' ORDER BY created_at LIMIT 1`);
  const insert = db.prepare(
    `INSERT INTO api_keys (key, user_id, kind, created_at) VALUES (@key, @userId, 'dev', @now)`,
  );
  return {
    findDevKey: (): { key: string; user_id: string } | undefined =>
      findDev.get() as { key: string; user_id: string } | undefined,
    insertDevKey: (key: string, userId: string): void => void insert.run({ key, userId, now: now() }),
  };
}

export type KeyQueries = ReturnType<typeof keyQueries>;
