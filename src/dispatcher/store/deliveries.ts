import type { DeliveryStatus } from '../../core/api-types.js';
import type { Db } from './db.js';
import type { DeliveryRow } from './rows.js';

/** A delivery claimed by the worker, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  webhook_id: string;
  /** The webhook's owner: slots are shared fairly between users, then webhooks (queue.ts). */
  user_id: string;
  event_id: string;
  event_type: string;
  attempt_count: number;
  url: string;
  secret: string;
  body: Buffer;
}

/** A claim: the token and expiry the leased deliveries carry (also used by the accept path's handoff). */
export interface Lease {
  token: string;
  until: number;
}

/** An active webhook with unleased pending deliveries, and when the first of them is due. */
export interface WaitingWebhook {
  webhook_id: string;
  user_id: string;
  due_at: number;
}

/** How an attempt ended for its delivery: done, or pending again until `retryAt`. */
export type AttemptEnd = { status: 'succeeded' | 'failed' } | { status: 'pending'; retryAt: number };

const DELIVERY_COLUMNS = `d.id, d.webhook_id, d.event_id, e.type AS event_type, d.status, d.attempt_count, d.next_attempt_at, d.created_at`;

/** The partial index `deliveries_waiting` (migration 2) serves every query with this condition. */
const WAITING = `d.status = 'pending' AND d.lease_token IS NULL`;

/**
 * The delivery queue's statements, one per operation (claim a webhook's due deliveries, finish,
 * defer, release, reclaim expired leases, cancel). The rules that use them are in queue.ts.
 * Every write made after an attempt checks the lease token, so a delivery whose lease was
 * reclaimed cannot be finished twice by a stale attempt.
 */
export function deliveryQueries(db: Db, now: () => number) {
  const insert = db.prepare(`
    INSERT INTO deliveries (id, webhook_id, event_id, status, next_attempt_at, lease_token, lease_expires_at, created_at, updated_at)
    VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)`);
  // One index seek per active webhook (there are few: at most 10 per user).
  const waiting = db.prepare(`
    SELECT w.id AS webhook_id, w.user_id,
      (SELECT d.next_attempt_at FROM deliveries d WHERE d.webhook_id = w.id AND ${WAITING}
       ORDER BY d.next_attempt_at LIMIT 1) AS due_at
    FROM webhooks w WHERE w.is_active = 1 AND w.deleted_at IS NULL ORDER BY w.seq`);
  const claimDue = db
    .prepare(
      `
      UPDATE deliveries SET lease_token = @token, lease_expires_at = @until, updated_at = @now
      WHERE seq IN (
        SELECT d.seq FROM deliveries d
        WHERE d.webhook_id = @webhookId AND ${WAITING} AND d.next_attempt_at <= @now
        ORDER BY d.next_attempt_at, d.seq LIMIT @limit)
        AND (SELECT is_active FROM webhooks WHERE id = @webhookId) = 1
      RETURNING id`,
    )
    .pluck();
  const claimed = db.prepare(`
    SELECT d.id, d.webhook_id, w.user_id, d.event_id, e.type AS event_type, d.attempt_count, w.url, w.secret, e.body
    FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
    WHERE d.lease_token = ? ORDER BY d.next_attempt_at, d.seq`);
  // A 2xx is recorded as a success even on a delivery cancelled meanwhile (SPEC §4); a failure
  // leaves a cancelled delivery cancelled. Three plain statements: the common paths stay one write.
  const succeed = db.prepare(`
    UPDATE deliveries SET status = 'succeeded', attempt_count = @attempts, next_attempt_at = NULL,
      lease_token = NULL, lease_expires_at = NULL, updated_at = @now
    WHERE id = @id AND lease_token = @token AND status IN ('pending', 'cancelled')`);
  const fail = db.prepare(`
    UPDATE deliveries SET status = @status, attempt_count = @attempts, next_attempt_at = @retryAt,
      lease_token = NULL, lease_expires_at = NULL, updated_at = @now
    WHERE id = @id AND lease_token = @token AND status = 'pending'`);
  const failCancelled = db.prepare(`
    UPDATE deliveries SET attempt_count = @attempts, lease_token = NULL, lease_expires_at = NULL, updated_at = @now
    WHERE id = @id AND lease_token = @token AND status = 'cancelled'`);
  const defer = db.prepare(`
    UPDATE deliveries SET next_attempt_at = @at, lease_token = NULL, lease_expires_at = NULL, updated_at = @now
    WHERE id = @id AND lease_token = @token AND status = 'pending'`);
  const deferDue = db.prepare(`
    UPDATE deliveries SET next_attempt_at = @at, updated_at = @now
    WHERE seq IN (SELECT d.seq FROM deliveries d WHERE d.webhook_id = @webhookId AND ${WAITING} AND d.next_attempt_at < @at)`);
  const bringForward = db.prepare(`
    UPDATE deliveries SET next_attempt_at = @at, updated_at = @now
    WHERE id = @id AND status = 'pending' AND lease_token IS NULL AND next_attempt_at > @at`);
  const release = db.prepare(`
    UPDATE deliveries SET lease_token = NULL, lease_expires_at = NULL, updated_at = @now WHERE id = @id AND lease_token = @token`);
  const reclaimExpired = db.prepare(`
    UPDATE deliveries SET lease_token = NULL, lease_expires_at = NULL, updated_at = @now
    WHERE lease_token IS NOT NULL AND lease_expires_at <= @now`);
  const releaseAll = db.prepare(`
    UPDATE deliveries SET lease_token = NULL, lease_expires_at = NULL, updated_at = @now WHERE lease_token IS NOT NULL`);
  // The lease of an attempt in flight is kept, so that its answer can still be recorded (finish).
  const cancelPending = db.prepare(`
    UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, updated_at = @now
    WHERE webhook_id = @webhookId AND status = 'pending'`);
  const nextLeaseExpiry = db
    .prepare(`SELECT min(lease_expires_at) FROM deliveries WHERE lease_token IS NOT NULL`)
    .pluck();
  const getForWebhook = db.prepare(`
    SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = ? AND d.webhook_id = ?`);
  const listForWebhook = db.prepare(`
    SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id
    WHERE d.webhook_id = @webhookId AND (@status IS NULL OR d.status = @status)
    ORDER BY d.seq DESC LIMIT @limit`);
  const recent = db.prepare(`
    SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.id = d.event_id ORDER BY d.seq DESC LIMIT ?`);
  const countByStatus = db.prepare(`SELECT status, count(*) AS n FROM deliveries GROUP BY status`);

  return {
    /** A new pending delivery, due now; with `lease`, already claimed for the worker (the queue's handoff). */
    insert(delivery: { id: string; webhookId: string; eventId: string }, lease?: Lease): void {
      const at = now();
      insert.run(
        delivery.id,
        delivery.webhookId,
        delivery.eventId,
        at,
        lease?.token ?? null,
        lease?.until ?? null,
        at,
        at,
      );
    },
    /** Active webhooks with deliveries waiting (due now or later), each with its earliest due time. */
    waiting: (): WaitingWebhook[] =>
      (waiting.all() as Array<{ due_at: number | null }>).filter((w) => w.due_at !== null) as WaitingWebhook[],
    /** Leases up to `limit` due deliveries of one webhook (if it is active), oldest first. */
    claimDue(webhookId: string, limit: number, lease: Lease): ClaimedDelivery[] {
      const ids = claimDue.all({ webhookId, limit, token: lease.token, until: lease.until, now: now() });
      return ids.length === 0 ? [] : (claimed.all(lease.token) as ClaimedDelivery[]);
    },
    /**
     * Records how a leased delivery's attempt ended, and releases it. Returns its status after
     * (`cancelled` when it was cancelled meanwhile and did not succeed), or undefined when the lease was lost.
     */
    finish(id: string, token: string, attempts: number, end: AttemptEnd): DeliveryStatus | undefined {
      const at = now();
      if (end.status === 'succeeded')
        return succeed.run({ id, token, attempts, now: at }).changes > 0 ? 'succeeded' : undefined;
      const retryAt = end.status === 'pending' ? end.retryAt : null;
      if (fail.run({ id, token, attempts, status: end.status, retryAt, now: at }).changes > 0) return end.status;
      return failCancelled.run({ id, token, attempts, now: at }).changes > 0 ? 'cancelled' : undefined;
    },
    /** Puts a leased delivery back without an attempt (rate window full) until `at`. */
    defer: (id: string, token: string, at: number): void => void defer.run({ id, token, at, now: now() }),
    /** Puts every waiting delivery of a webhook due before `at` back until `at` (its rate window is full). */
    deferDue: (webhookId: string, at: number): number => deferDue.run({ webhookId, at, now: now() }).changes,
    /** Makes a waiting delivery due at `at` if it was due later (chaos: what it was held back for has happened). */
    bringForward: (id: string, at: number): void => void bringForward.run({ id, at, now: now() }),
    release: (id: string, token: string): void => void release.run({ id, token, now: now() }),
    /** Frees the leases of attempts that outlived them; those deliveries go out again (at least once). */
    reclaimExpired: (): number => reclaimExpired.run({ now: now() }).changes,
    /** At start: the database is this process's alone, so every lease left in it belongs to a run that died. */
    releaseAll: (): number => releaseAll.run({ now: now() }).changes,
    /** Cancels a webhook's pending deliveries; one in flight is still recorded as succeeded if it gets a 2xx. */
    cancelPending: (webhookId: string): number => cancelPending.run({ webhookId, now: now() }).changes,
    nextLeaseExpiry: (): number | null => nextLeaseExpiry.get() as number | null,
    getForWebhook: (id: string, webhookId: string): DeliveryRow | undefined =>
      getForWebhook.get(id, webhookId) as DeliveryRow | undefined,
    /** Newest first. */
    listForWebhook: (webhookId: string, status: DeliveryStatus | null, limit: number): DeliveryRow[] =>
      listForWebhook.all({ webhookId, status, limit }) as DeliveryRow[],
    /** Newest first, every webhook (for an overview). */
    recent: (limit: number): DeliveryRow[] => recent.all(limit) as DeliveryRow[],
    countByStatus: (): Record<DeliveryStatus, number> => {
      const counts: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0, cancelled: 0 };
      for (const row of countByStatus.all() as Array<{ status: DeliveryStatus; n: number }>) counts[row.status] = row.n;
      return counts;
    },
  };
}

export type DeliveryQueries = ReturnType<typeof deliveryQueries>;
