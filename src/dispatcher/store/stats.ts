import type { WebhookStats } from '../../core/api-types.js';
import type { Db } from './db.js';
import { iso } from './rows.js';

/**
 * Read-only figures per webhook (SPEC §3 `stats`), shared by `GET /api/webhooks/:id` and the
 * monitoring page. Rates count finished deliveries; response times count every attempt.
 */
export function statsQueries(db: Db) {
  const counts = db.prepare(`
    SELECT count(*) AS deliveries,
      coalesce(sum(status = 'succeeded'), 0) AS succeeded,
      coalesce(sum(status = 'failed'), 0) AS failed
    FROM deliveries WHERE webhook_id = ?`);
  const timing = db.prepare(`SELECT count(*) AS n, avg(duration_ms) AS avg, max(at) AS last FROM attempts WHERE webhook_id = ?`);
  const nth = db.prepare(`SELECT duration_ms FROM attempts WHERE webhook_id = ? ORDER BY duration_ms LIMIT 1 OFFSET ?`).pluck();

  return {
    forWebhook(webhookId: string): WebhookStats {
      const c = counts.get(webhookId) as { deliveries: number; succeeded: number; failed: number };
      const t = timing.get(webhookId) as { n: number; avg: number | null; last: number | null };
      const finished = c.succeeded + c.failed;
      return {
        deliveries: c.deliveries,
        succeeded: c.succeeded,
        failed: c.failed,
        successRate: finished === 0 ? null : c.succeeded / finished,
        avgResponseMs: t.avg === null ? null : Math.round(t.avg),
        p95ResponseMs: t.n === 0 ? null : (nth.get(webhookId, Math.ceil(t.n * 0.95) - 1) as number),
        lastDeliveryAt: t.last === null ? null : iso(t.last),
      };
    },
  };
}

export type StatsQueries = ReturnType<typeof statsQueries>;
