import type { Db } from './db.js';
import type { AttemptRow } from './rows.js';

/** The log of every attempt: status, duration, error and the first 4 KiB of the answer. */
export function attemptQueries(db: Db) {
  const insert = db.prepare(`
    INSERT INTO attempts (delivery_id, webhook_id, number, at, status_code, duration_ms, error, response_body, chaos)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const forDelivery = db.prepare(`SELECT * FROM attempts WHERE delivery_id = ? ORDER BY number, seq`);
  const startedSince = db.prepare(`SELECT webhook_id, at FROM attempts WHERE at > ? ORDER BY at`);
  const failedRecent = db.prepare(`
    SELECT * FROM attempts
    WHERE (@webhookId IS NULL OR webhook_id = @webhookId) AND (status_code IS NULL OR status_code < 200 OR status_code >= 300)
    ORDER BY seq DESC LIMIT @limit`);

  return {
    insert: (a: AttemptRow): void =>
      void insert.run(
        a.delivery_id,
        a.webhook_id,
        a.number,
        a.at,
        a.status_code,
        a.duration_ms,
        a.error,
        a.response_body,
        a.chaos ?? null,
      ),
    /** Attempts of several deliveries at once, keyed by delivery id. */
    forDeliveries(ids: readonly string[]): Map<string, AttemptRow[]> {
      const byDelivery = new Map<string, AttemptRow[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return byDelivery;
      if (ids.length === 1) {
        byDelivery.set(ids[0] as string, forDelivery.all(ids[0]) as AttemptRow[]);
        return byDelivery;
      }
      const rows = db
        .prepare(`SELECT * FROM attempts WHERE delivery_id IN (${ids.map(() => '?').join(',')}) ORDER BY number, seq`)
        .all(...ids) as AttemptRow[];
      for (const row of rows) byDelivery.get(row.delivery_id)?.push(row);
      return byDelivery;
    },
    /** Start times of attempts after `since`, to refill the rate window after a restart. */
    startedSince: (since: number): Array<{ webhook_id: string; at: number }> =>
      startedSince.all(since) as Array<{ webhook_id: string; at: number }>,
    /** The error log: failed attempts, newest first, of one webhook or of all. */
    failedRecent: (webhookId: string | null, limit: number): AttemptRow[] =>
      failedRecent.all({ webhookId, limit }) as AttemptRow[],
  };
}

export type AttemptQueries = ReturnType<typeof attemptQueries>;
