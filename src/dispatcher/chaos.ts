import { formatDuration } from '../core/duration.js';
import type { ChaosSettings } from './chaos-spec.js';
import { RATE_WINDOW_MS, REORDER_HOLD_MS, scaled } from './policy.js';

/**
 * Chaos delivery (issue 18): the decisions, drawn from a seeded source so a run can be replayed,
 * and the marks that say what was done. Every effect stays within the delivery rules:
 *
 * - delay: before an attempt, the delivery is put back in the store until a random time within
 *   the range (scaled). It holds no slot and no lease meanwhile; a crash loses nothing.
 * - reorder: a delivery's first attempt is put back likewise until an attempt of a later delivery
 *   of its webhook (ids sort in creation order, core/ids.ts) has ended, or REORDER_HOLD_MS passed,
 *   so that one reaches the receiver first.
 * - duplicate: an attempt answered 2xx is sent once more, as by a platform that lost the answer
 *   (worker.ts). It never changes the delivery, never counts as a failure, and takes room in the
 *   rate window like any attempt.
 *
 * The queue asks `hold` before an attempt starts, `go` once it starts, `ended` once it ends; the
 * worker asks `duplicate` as the attempt starts. Every draw is made the first time `hold` sees an
 * attempt, in the order the queue claims them, so a seed replays the same decisions for the same
 * deliveries whatever order their answers come back in.
 */
export interface Chaos {
  readonly settings: ChaosSettings;
  /** Before attempt `attempt_count + 1` of a delivery starts at `at`: the time to hold it back until, or undefined to let it go. */
  hold(delivery: ChaosDelivery, at: number): number | undefined;
  /** It starts: what chaos did to it, or undefined when nothing. */
  go(delivery: ChaosDelivery): string | undefined;
  /** An attempt of `deliveryId` ended at `at`: the earlier deliveries of its webhook held back for a later one, and when they may go. */
  ended(webhookId: string, deliveryId: string, at: number): Array<{ id: string; at: number }>;
  /** As attempt `attempt_count + 1` starts (right after `go`): send it once more if it is answered 2xx? */
  duplicate(delivery: ChaosDelivery): boolean;
}

export interface ChaosDelivery {
  id: string;
  webhook_id: string;
  attempt_count: number;
}

interface Hold {
  webhookId: string;
  attempt: number;
  since: number;
  delayMs: number;
  /** Reorder: waiting for a later delivery, until `reorderUntil`; `overtakenBy` once one went first. */
  reorder: boolean;
  reorderUntil: number;
  overtakenBy: string | undefined;
  /** Send it once more if it is answered 2xx. */
  duplicate: boolean;
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function createChaos(settings: ChaosSettings, timeScale: number): Chaos {
  // One stream per kind of decision, so the duplicates drawn do not shift the delays drawn.
  const draw = {
    duplicate: seededRandom(settings.seed),
    reorder: seededRandom(settings.seed ^ 0x9e3779b9),
    delay: seededRandom(settings.seed ^ 0x85ebca6b),
  };
  const delayMin = settings.delayMinMs * timeScale;
  const delaySpan = (settings.delayMaxMs - settings.delayMinMs) * timeScale;
  const holdMs = scaled(REORDER_HOLD_MS, timeScale);
  /** A hold whose delivery never came back (cancelled, deleted) is forgotten after this. */
  const forgetMs = scaled(2 * RATE_WINDOW_MS, timeScale);
  const holds = new Map<string, Hold>(); // by delivery id, oldest first
  /** The delivery `go` just let start with a duplicate drawn for it, until the worker asks. */
  let startingDuplicate: string | undefined;
  const heldByWebhook = new Map<string, Set<string>>();

  const dueOf = (h: Hold): number =>
    Math.max(h.since + h.delayMs, h.reorder && h.overtakenBy === undefined ? h.reorderUntil : 0);

  function forget(id: string, h: Hold): void {
    holds.delete(id);
    const set = heldByWebhook.get(h.webhookId);
    set?.delete(id);
    if (set?.size === 0) heldByWebhook.delete(h.webhookId);
  }

  function prune(at: number): void {
    for (const [id, h] of holds) {
      if (at - dueOf(h) < forgetMs) return;
      forget(id, h);
    }
  }

  return {
    settings,
    hold(delivery, at) {
      const attempt = delivery.attempt_count + 1;
      let h = holds.get(delivery.id);
      if (h !== undefined && h.attempt !== attempt) {
        forget(delivery.id, h);
        h = undefined;
      }
      if (h === undefined) {
        prune(at);
        const reorder = attempt === 1 && settings.reorder > 0 && draw.reorder() < settings.reorder;
        const delayMs = delaySpan > 0 || delayMin > 0 ? Math.round(delayMin + draw.delay() * delaySpan) : 0;
        const duplicate = settings.duplicate > 0 && draw.duplicate() < settings.duplicate;
        if (!reorder && delayMs < 1 && !duplicate) return undefined;
        h = {
          webhookId: delivery.webhook_id,
          attempt,
          since: at,
          delayMs,
          reorder,
          reorderUntil: at + holdMs,
          overtakenBy: undefined,
          duplicate,
        };
        holds.set(delivery.id, h);
        if (reorder) {
          let set = heldByWebhook.get(h.webhookId);
          if (set === undefined) heldByWebhook.set(h.webhookId, (set = new Set()));
          set.add(delivery.id);
        }
      }
      const due = dueOf(h);
      return at < due ? due : undefined;
    },
    go(delivery) {
      const h = holds.get(delivery.id);
      if (h === undefined || h.attempt !== delivery.attempt_count + 1) return undefined;
      forget(delivery.id, h);
      startingDuplicate = h.duplicate ? delivery.id : undefined;
      const marks: string[] = [];
      if (h.reorder)
        marks.push(
          h.overtakenBy === undefined
            ? `held back ${formatDuration(holdMs)}, no later delivery came`
            : `reordered after ${h.overtakenBy}`,
        );
      if (h.delayMs >= 1) marks.push(`delayed ${formatDuration(h.delayMs)}`);
      return marks.length > 0 ? marks.join(', ') : undefined;
    },
    ended(webhookId, deliveryId, at) {
      const set = heldByWebhook.get(webhookId);
      if (set === undefined) return [];
      const released: Array<{ id: string; at: number }> = [];
      for (const id of set) {
        const h = holds.get(id) as Hold;
        if (deliveryId <= id) continue; // not a later delivery
        h.overtakenBy = deliveryId;
        set.delete(id);
        released.push({ id, at: Math.max(at, dueOf(h)) });
      }
      if (set.size === 0) heldByWebhook.delete(webhookId);
      return released;
    },
    duplicate(delivery) {
      const yes = startingDuplicate === delivery.id;
      startingDuplicate = undefined;
      return yes;
    },
  };
}
