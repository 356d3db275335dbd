import type { DeliveryStatus, WebhookStats } from '../../core/api-types.js';
import type { EventSubscription } from '../../core/events.js';
import { iso, type Store } from '../store/index.js';
import { createFigures, ERROR_LIMIT, type Figures } from './figures.js';

/** How many deliveries and failed attempts the page lists (issue 6). */
export const RECENT_LIMIT = 50;
export { ERROR_LIMIT };

export interface OverviewStats extends WebhookStats {
  /** failed / finished, or null before any delivery finished. */
  failureRate: number | null;
}

export interface OverviewWebhook {
  id: string;
  url: string;
  owner: string;
  description: string | null;
  events: EventSubscription[];
  isActive: boolean;
  disabledReason: string | null;
  stats: OverviewStats;
}

export interface OverviewDelivery {
  id: string;
  webhookId: string;
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  /** Duration of the last attempt. */
  durationMs: number | null;
  createdAt: string;
  lastAttemptAt: string | null;
  /** With chaos delivery on: what chaos did to its attempts (`duplicate`, `delayed 1.2s`, …), when it did something. */
  chaos?: string;
}

export interface OverviewError {
  at: string;
  deliveryId: string;
  webhookId: string;
  event: string | null;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  /** With chaos delivery on: what chaos did to this attempt, when it did something. */
  chaos?: string;
}

/** The JSON of GET /admin/api/overview. Never holds a secret. */
export interface Overview {
  generatedAt: string;
  filter: string | null;
  /** The chaos spec the dispatcher runs with (`--chaos`, seed included), or null when it delivers without chaos. */
  chaos: string | null;
  totals: OverviewStats;
  webhooks: OverviewWebhook[];
  recentDeliveries: OverviewDelivery[];
  errors: OverviewError[];
}

/**
 * What the monitoring page shows: every webhook with the same stats as `GET /api/webhooks/:id`,
 * the latest deliveries and the failed attempts — of one webhook when `webhookId` is given.
 * The figures come from `figures`, kept incrementally and refreshed by the caller (the page's
 * route); without it they are read in full once.
 */
export function buildOverview(
  store: Store,
  webhookId: string | null,
  now: number,
  figures?: Figures,
  chaos: string | null = null,
): Overview {
  if (figures === undefined) {
    figures = createFigures(store);
    figures.refreshNow();
  }
  const known = figures;
  const live = store.webhooks.listAll();
  const rows = live.filter((row) => webhookId === null || row.id === webhookId);
  const webhooks = rows.map((row): OverviewWebhook => ({
    id: row.id,
    url: row.url,
    owner: row.user_id,
    description: row.description,
    events: JSON.parse(row.events) as EventSubscription[],
    isActive: row.is_active === 1,
    disabledReason: row.disabled_reason,
    stats: withFailureRate(known.stats([row.id])),
  }));

  const deliveries =
    webhookId === null
      ? store.deliveries.recent(RECENT_LIMIT)
      : store.deliveries.listForWebhook(webhookId, null, RECENT_LIMIT);
  const attempts = store.attempts.forDeliveries(deliveries.map((d) => d.id));
  const eventOf = new Map(deliveries.map((d) => [d.id, d.event_type]));
  const failed = known.failures(webhookId);

  return {
    generatedAt: iso(now),
    filter: webhookId,
    chaos,
    totals:
      webhookId === null
        ? withFailureRate(known.stats(live.map((row) => row.id)))
        : (webhooks[0]?.stats ?? withFailureRate(known.stats([webhookId]))),
    webhooks,
    recentDeliveries: deliveries.map((d): OverviewDelivery => {
      const all = attempts.get(d.id) ?? [];
      // A chaos duplicate never changes its delivery: the last result shown is the last other attempt's.
      const last = all.findLast((a) => a.chaos !== 'duplicate');
      const marks = [...new Set(all.map((a) => a.chaos).filter((mark): mark is string => Boolean(mark)))];
      const delivery: OverviewDelivery = {
        id: d.id,
        webhookId: d.webhook_id,
        event: d.event_type,
        status: d.status,
        attempts: attempts.get(d.id)?.length ?? 0,
        lastStatusCode: last?.status_code ?? null,
        durationMs: last?.duration_ms ?? null,
        createdAt: iso(d.created_at),
        lastAttemptAt: last ? iso(last.at) : null,
      };
      if (marks.length > 0) delivery.chaos = marks.join('; ');
      return delivery;
    }),
    errors: failed.map((a): OverviewError => ({
      at: iso(a.at),
      deliveryId: a.delivery_id,
      webhookId: a.webhook_id,
      event:
        eventOf.get(a.delivery_id) ?? store.deliveries.getForWebhook(a.delivery_id, a.webhook_id)?.event_type ?? null,
      attempt: a.number,
      statusCode: a.status_code,
      error: a.error,
      ...(a.chaos ? { chaos: a.chaos } : {}),
    })),
  };
}

function withFailureRate(stats: WebhookStats): OverviewStats {
  const finished = stats.succeeded + stats.failed;
  return { ...stats, failureRate: finished === 0 ? null : stats.failed / finished };
}
