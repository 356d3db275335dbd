import type { Db } from './db.js';

/**
 * Keys the dispatcher keeps in its database so they survive restarts: the dev key made on first
 * start when no user key is given (SPEC §4), and the monitoring page's token (issue 16), which
 * users bookmark with the page's URL. The token is a row of kind 'admin': it is never a user's key.
 */
export function keyQueries(db: Db, now: () => number) {
  const find = db.prepare(`SELECT key, user_id FROM api_keys WHERE kind = ? ORDER BY created_at LIMIT 1`);
  const insert = db.prepare(
    `INSERT INTO api_keys (key, user_id, kind, created_at) VALUES (@key, @userId, @kind, @now)`,
  );
  return {
    findDevKey: (): { key: string; user_id: string } | undefined =>
      find.get('dev') as { key: string; user_id: string } | undefined,
    insertDevKey: (key: string, userId: string): void => void insert.run({ key, userId, kind: 'dev', now: now() }),
    findAdminToken: (): string | undefined => (find.get('admin') as { key: string } | undefined)?.key,
    insertAdminToken: (token: string): void => void insert.run({ key: token, userId: '', kind: 'admin', now: now() }),
  };
}

export type KeyQueries = ReturnType<typeof keyQueries>;
