import type { WebhookStats } from '../../core/api-types.js';
import type { AttemptRow, Store } from '../store/index.js';
import { webhookStats } from '../store/stats.js';

/** How many failed attempts the error log keeps, of all webhooks and of each. */
export const ERROR_LIMIT = 50;
/** Rows read per turn of the event loop while catching up: /healthz and the API answer in between. */
const CHUNK = 500;

type Failure = Omit<AttemptRow, 'duration_ms' | 'response_body'>;

/** One webhook's running figures: counts, durations as a histogram (exact p95), its latest failures. */
class Tally {
  deliveries = 0;
  succeeded = 0;
  failed = 0;
  attempts = 0;
  totalMs = 0;
  lastAt: number | null = null;
  readonly durations = new Map<number, number>();
  private sorted: number[] | undefined;
  readonly failures: Failure[] = [];

  addAttempt(durationMs: number, at: number): void {
    this.attempts++;
    this.totalMs += durationMs;
    if (this.lastAt === null || at > this.lastAt) this.lastAt = at;
    const seen = this.durations.get(durationMs);
    if (seen === undefined) this.sorted = undefined;
    this.durations.set(durationMs, (seen ?? 0) + 1);
  }

  sortedDurations(): number[] {
    return (this.sorted ??= [...this.durations.keys()].sort((a, b) => a - b));
  }
}

/**
 * The monitoring page's figures, kept up to date incrementally (issue 16): each refresh reads
 * only what was written since the last one, so a poll costs the same at 46,000 attempts as at
 * 46. The figures are those of `GET /api/webhooks/:id` (store/stats.ts): rates over finished
 * deliveries, average and nearest-rank p95 over every attempt's duration.
 */
export function createFigures(store: Store, { chunk = CHUNK }: { chunk?: number } = {}) {
  const queries = store.overview;
  const tallies = new Map<string, Tally>();
  const recentFailures: Failure[] = [];
  /** Deliveries pending when last read, by seq (ascending: they are added in seq order). */
  const open = new Map<number, string>();
  let attemptSeq = 0;
  let deliverySeq = 0;
  let settleFrom: number | undefined;
  let running: Promise<void> | undefined;

  const tally = (webhookId: string): Tally => {
    let found = tallies.get(webhookId);
    if (found === undefined) tallies.set(webhookId, (found = new Tally()));
    return found;
  };
  const settle = (webhookId: string, status: string): void => {
    const t = tally(webhookId);
    if (status === 'succeeded') t.succeeded++;
    else if (status === 'failed') t.failed++;
  };
  const keep = (list: Failure[], failure: Failure): void => {
    list.push(failure);
    if (list.length > ERROR_LIMIT) list.shift();
  };

  /** One bounded piece of work; true once everything written so far is counted. */
  function step(): boolean {
    const attempts = queries.attemptsAfter(attemptSeq, chunk);
    for (const [seq, webhookId, deliveryId, number, at, statusCode, durationMs, error, chaos] of attempts) {
      attemptSeq = seq;
      const t = tally(webhookId);
      t.addAttempt(durationMs, at);
      if (statusCode === null || statusCode < 200 || statusCode >= 300) {
        const failure: Failure = {
          delivery_id: deliveryId,
          webhook_id: webhookId,
          number,
          at,
          status_code: statusCode,
          error,
          chaos,
        };
        keep(t.failures, failure);
        keep(recentFailures, failure);
      }
    }
    const deliveries = queries.deliveriesAfter(deliverySeq, chunk);
    for (const [seq, webhookId, status] of deliveries) {
      deliverySeq = seq;
      tally(webhookId).deliveries++;
      if (status === 'pending') open.set(seq, webhookId);
      else settle(webhookId, status);
    }
    if (attempts.length === chunk || deliveries.length === chunk) return false;
    // Then the deliveries that were pending, a window of seqs at a time.
    settleFrom ??= open.keys().next().value;
    if (settleFrom === undefined) return true;
    const to = settleFrom + chunk;
    for (const [seq, status] of queries.settledIn(settleFrom, to)) {
      const webhookId = open.get(seq);
      if (webhookId === undefined) continue; // settled before it was first read
      open.delete(seq);
      settle(webhookId, status);
    }
    settleFrom = to > deliverySeq ? undefined : to;
    return settleFrom === undefined;
  }

  return {
    /** Reads what was written since the last refresh, yielding to the event loop between chunks. */
    refresh(): Promise<void> {
      if (running !== undefined) return running;
      if (step()) return Promise.resolve();
      running = (async () => {
        try {
          do await new Promise((resolve) => setImmediate(resolve));
          while (!step());
        } finally {
          running = undefined;
        }
      })();
      return running;
    },
    /** The same, at once (for a one-off overview). */
    refreshNow(): void {
      while (!step());
    },
    /** One webhook's figures, or those of several together (the page's totals). */
    stats(webhookIds: readonly string[]): WebhookStats {
      const parts = webhookIds.map((id) => tallies.get(id)).filter((t): t is Tally => t !== undefined);
      const merged = parts.length === 1 ? (parts[0] as Tally) : mergeTallies(parts);
      const avgMs = merged.attempts === 0 ? null : merged.totalMs / merged.attempts;
      return webhookStats(merged, { attempts: merged.attempts, avgMs, lastAt: merged.lastAt }, (offset) =>
        nthSmallest(merged, offset),
      );
    },
    /** The latest failed attempts, newest first: of one webhook, or of all (deleted ones included). */
    failures(webhookId: string | null): Failure[] {
      const list = webhookId === null ? recentFailures : (tallies.get(webhookId)?.failures ?? []);
      return [...list].reverse();
    },
  };
}

export type Figures = ReturnType<typeof createFigures>;

function mergeTallies(parts: readonly Tally[]): Tally {
  const merged = new Tally();
  for (const t of parts) {
    merged.deliveries += t.deliveries;
    merged.succeeded += t.succeeded;
    merged.failed += t.failed;
    merged.attempts += t.attempts;
    merged.totalMs += t.totalMs;
    if (t.lastAt !== null && (merged.lastAt === null || t.lastAt > merged.lastAt)) merged.lastAt = t.lastAt;
    for (const [ms, count] of t.durations) merged.durations.set(ms, (merged.durations.get(ms) ?? 0) + count);
  }
  return merged;
}

/** The `offset`-th smallest attempt duration (from 0), from the tally's counts per duration. */
function nthSmallest(t: Tally, offset: number): number {
  const rank = offset + 1;
  let seen = 0;
  for (const ms of t.sortedDurations()) {
    seen += t.durations.get(ms) as number;
    if (seen >= rank) return ms;
  }
  return t.sortedDurations().at(-1) as number;
}
