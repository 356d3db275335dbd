import type { Db } from './db.js';

export interface EventRow {
  id: string;
  user_id: string;
  type: string;
  body: Buffer;
  created_at: number;
}

/** Accepted events: the envelope's exact bytes, serialized once (SPEC §2). */
export function eventQueries(db: Db, now: () => number) {
  const insert = db.prepare(
    `INSERT INTO events (id, user_id, type, body, created_at) VALUES (@id, @userId, @type, @body, @now)`,
  );
  const get = db.prepare(`SELECT * FROM events WHERE id = ?`);
  return {
    insert: (event: { id: string; userId: string; type: string; body: Buffer }): void =>
      void insert.run({ ...event, now: now() }),
    get: (id: string): EventRow | undefined => get.get(id) as EventRow | undefined,
  };
}

export type EventQueries = ReturnType<typeof eventQueries>;
