import { attemptQueries } from './attempts.js';
import { openDatabase } from './db.js';
import { deliveryQueries } from './deliveries.js';
import { eventQueries } from './events.js';
import { idempotencyQueries } from './idempotency.js';
import { keyQueries } from './keys.js';
import { statsQueries } from './stats.js';
import { webhookQueries } from './webhooks.js';

/** Idempotency keys are honoured for a day, as Stripe does. */
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export interface StoreOptions {
  path: string;
  now: () => number;
}

/** The dispatcher's SQLite store: one query family per file, short write transactions only. */
export function createStore({ path, now }: StoreOptions) {
  const db = openDatabase(path);
  return {
    webhooks: webhookQueries(db, now),
    events: eventQueries(db, now),
    deliveries: deliveryQueries(db, now),
    attempts: attemptQueries(db),
    stats: statsQueries(db),
    keys: keyQueries(db, now),
    idempotency: idempotencyQueries(db, now, IDEMPOTENCY_TTL_MS),
    /** Runs `fn` in one write transaction (BEGIN IMMEDIATE). Never call the network inside. */
    transaction<T>(fn: () => T): T {
      return db.transaction(fn).immediate();
    },
    close(): void {
      if (db.open) db.close();
    },
  };
}

export type Store = ReturnType<typeof createStore>;
export type { WebhookRow, DeliveryRow, AttemptRow } from './rows.js';
export { toWebhook, toDelivery, toAttempt, iso } from './rows.js';
export type { ClaimedDelivery } from './deliveries.js';
