import { attemptQueries } from './attempts.js';
import { createVersion, versionedCache, type VersionedCache } from './cache.js';
import { openDatabase } from './db.js';
import { watchDatabase } from './health.js';
import { deliveryQueries } from './deliveries.js';
import { eventQueries } from './events.js';
import { idempotencyQueries } from './idempotency.js';
import { keyQueries } from './keys.js';
import { overviewQueries } from './overview.js';
import { statsQueries } from './stats.js';
import { webhookQueries } from './webhooks.js';

/** Idempotency keys are honoured for a day, as Stripe does. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoreOptions {
  path: string;
  now: () => number;
  /** Told when the database's file mode was narrowed (issue 16). */
  warn?: (message: string) => void;
}

/** The dispatcher's SQLite store: one query family per file, short write transactions only. */
export function createStore({ path, now, warn }: StoreOptions) {
  const db = openDatabase(path, { warn });
  // What is kept in memory from the database (cache.ts) is valid for one version: webhook writes
  // move it, and so does every rollback, here and only here (`atomic`).
  const version = createVersion();
  const webhooks = webhookQueries(db, now, version);

  /** A transaction function of better-sqlite3 that moves the version when it rolls back. */
  function atomic<A extends unknown[], T>(fn: (...args: A) => T) {
    const tx = db.transaction(fn);
    const guard =
      (run: (...args: A) => T) =>
      (...args: A): T => {
        try {
          return run(...args);
        } catch (error) {
          version.bump(); // what was read or written inside is gone
          throw error;
        }
      };
    return { deferred: guard(tx), immediate: guard((...args: A) => tx.immediate(...args)) };
  }

  // Group commit: the writes asked for in one turn of the event loop share one transaction, so
  // a burst of accepted events and finished attempts costs one WAL commit, not one each. Each
  // write runs in its own savepoint (better-sqlite3 nests transactions that way), so one that
  // throws rolls back alone and rejects alone; every promise settles only after the commit.
  type Pending = { fn: () => unknown; resolve(value: unknown): void; reject(error: unknown): void };
  let pending: Pending[] = [];
  // One savepoint runner made once: better-sqlite3 builds a wrapper per db.transaction() call,
  // and making one per write was 6 % of the dispatcher's time under load.
  const inSavepoint = atomic((fn: () => unknown) => fn()).deferred;
  const anyWrite = atomic((fn: () => unknown) => fn()).immediate;
  const runBatch = atomic((batch: Pending[]) =>
    batch.map((entry) => {
      try {
        return { ok: true as const, value: inSavepoint(entry.fn) };
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction, not just the
        // savepoint: then nothing of the batch is kept, so fail it all with the real error rather
        // than run the rest outside any transaction.
        if (!db.inTransaction) throw error;
        return { ok: false as const, error };
      }
    }),
  ).immediate;
  const flush = (): void => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    try {
      results = runBatch(batch);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    batch.forEach((entry, i) => {
      const result = results[i] as (typeof results)[number];
      if (result.ok) entry.resolve(result.value);
      else entry.reject(result.error);
    });
  };

  return {
    webhooks,
    events: eventQueries(db, now),
    deliveries: deliveryQueries(db, now),
    attempts: attemptQueries(db),
    stats: statsQueries(db),
    keys: keyQueries(db, now),
    idempotency: idempotencyQueries(db, now, IDEMPOTENCY_TTL_MS),
    /** Read incrementally by the monitoring page (issue 16). */
    overview: overviewQueries(db),
    /** The database file deleted, the disk full: what /healthz and the API report (issue 16). */
    watch: watchDatabase(db, path),
    /** Runs `fn` in one write transaction (BEGIN IMMEDIATE). Never call the network inside. */
    transaction: <T>(fn: () => T): T => anyWrite(fn) as T,
    /** A Map that empties itself whenever a webhook changes or a transaction rolls back (cache.ts). */
    cache: <K, V>(): VersionedCache<K, V> => versionedCache<K, V>(version),
    /** Runs `fn` in the next group commit; resolves with its result once that is committed. Never call the network inside. */
    commitSoon<T>(fn: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.push({ fn, resolve: resolve, reject });
        if (pending.length === 1) setImmediate(flush);
      });
    },
    close(): void {
      if (!db.open) return;
      flush();
      db.close();
    },
  };
}

export type Store = ReturnType<typeof createStore>;
export type { WebhookRow, DeliveryRow, AttemptRow } from './rows.js';
export { toWebhook, toDelivery, toAttempt, iso } from './rows.js';
export type { AttemptEnd, ClaimedDelivery, Lease, WaitingWebhook } from './deliveries.js';
export type { VersionedCache } from './cache.js';
export type { ActiveWebhook } from './webhooks.js';
