import type { WebhookStats } from '../../core/api-types.js';
import type { Db } from './db.js';
import { iso } from './rows.js';

/**
 * Read-only figures per webhook (SPEC §3 `stats`), shared by `GET /api/webhooks/:id` and the
 * monitoring page. Rates count finished deliveries; response times count every attempt.
 */
const LIVE_WEBHOOKS = 'SELECT id FROM webhooks WHERE deleted_at IS NULL';

export function statsQueries(db: Db) {
  const counts = db.prepare(`
    SELECT count(*) AS deliveries,
      coalesce(sum(status = 'succeeded'), 0) AS succeeded,
      coalesce(sum(status = 'failed'), 0) AS failed
    FROM deliveries WHERE webhook_id = ?`);
  const timing = db.prepare(
    `SELECT count(*) AS n, avg(duration_ms) AS avg, max(at) AS last FROM attempts WHERE webhook_id = ?`,
  );
  const nth = db
    .prepare(`SELECT duration_ms FROM attempts WHERE webhook_id = ? ORDER BY duration_ms LIMIT 1 OFFSET ?`)
    .pluck();

  const countsAll = db.prepare(`
    SELECT count(*) AS deliveries,
      coalesce(sum(status = 'succeeded'), 0) AS succeeded,
      coalesce(sum(status = 'failed'), 0) AS failed
    FROM deliveries WHERE webhook_id IN (${LIVE_WEBHOOKS})`);
  const timingAll = db.prepare(
    `SELECT count(*) AS n, avg(duration_ms) AS avg, max(at) AS last FROM attempts WHERE webhook_id IN (${LIVE_WEBHOOKS})`,
  );
  const nthAll = db
    .prepare(
      `SELECT duration_ms FROM attempts WHERE webhook_id IN (${LIVE_WEBHOOKS}) ORDER BY duration_ms LIMIT 1 OFFSET ?`,
    )
    .pluck();

  const summarize = (c: Counts, t: Timing, nth: (offset: number) => number): WebhookStats =>
    webhookStats(c, { attempts: t.n, avgMs: t.avg, lastAt: t.last }, nth);

  return {
    /** The same figures over every webhook (not deleted) of every user: the monitoring page's summary. */
    forAll: (): WebhookStats =>
      summarize(countsAll.get() as Counts, timingAll.get() as Timing, (offset) => nthAll.get(offset) as number),
    forWebhook(webhookId: string): WebhookStats {
      return summarize(
        counts.get(webhookId) as Counts,
        timing.get(webhookId) as Timing,
        (offset) => nth.get(webhookId, offset) as number,
      );
    },
  };
}

/**
 * SPEC §3 `stats` from what was counted, the one place its rules live (the API's SQL and the
 * monitoring page's running tallies both end here): the success rate over finished deliveries;
 * the average and the p95 over every attempt, p95 by nearest rank (the smallest duration with at
 * least 95 % of attempts at or below it). `nth(k)` is the k-th smallest duration, from 0.
 */
export function webhookStats(
  c: Counts,
  t: { attempts: number; avgMs: number | null; lastAt: number | null },
  nth: (offset: number) => number,
): WebhookStats {
  const finished = c.succeeded + c.failed;
  return {
    deliveries: c.deliveries,
    succeeded: c.succeeded,
    failed: c.failed,
    successRate: finished === 0 ? null : c.succeeded / finished,
    avgResponseMs: t.avgMs === null ? null : Math.round(t.avgMs),
    p95ResponseMs: t.attempts === 0 ? null : nth(Math.ceil(t.attempts * 0.95) - 1),
    lastDeliveryAt: t.lastAt === null ? null : iso(t.lastAt),
  };
}

interface Counts {
  deliveries: number;
  succeeded: number;
  failed: number;
}

interface Timing {
  n: number;
  avg: number | null;
  last: number | null;
}

export type StatsQueries = ReturnType<typeof statsQueries>;
