/**
 * The delivery queue: which delivery goes out next, in which slot, and when to look again. The
 * worker gives it `run` (one attempt; the slot is held until its promise settles) and tells it
 * when something becomes due later (`dueAt`, a retry); the accept path hands it new deliveries.
 *
 * 1. The store is the truth. A delivery is waiting while it is pending and unleased; it is due
 *    once its `next_attempt_at` has come, if its webhook is active. To send one the queue leases
 *    it (a token and an expiry: the attempt's timeout plus room to record it). A start releases
 *    every lease in the file (it is this process's alone: they belong to a run that died); a
 *    lease that expires while running is reclaimed. Either way the delivery goes out again.
 * 2. Slots (shared out by fair-share.ts): `concurrency` shared by every webhook, plus
 *    `reserveSlots(concurrency)` kept for a webhook with no attempt in flight once the shared
 *    ones are all taken, at most `reserveSlotsPerUser` of them to one user. A lone webhook can use every shared slot; one
 *    whose receiver hangs holds its slots until they time out, but another webhook's next
 *    delivery never waits for them (SPEC §4, fairness).
 * 3. Fair order: free shared slots go one at a time to the due webhook whose user has the fewest
 *    attempts in flight, then whose webhook has the fewest, then whose delivery has waited
 *    longest. Within a webhook, oldest first (due time, then the order they were stored).
 * 4. Rate window: a webhook gets no more slots than its window has room for; when it is full,
 *    its due deliveries are put back until room opens (never dropped, never a failure).
 * 5. Handoff: while nothing waits in the store and there is a shared slot for each, an accepted
 *    event's deliveries are stored already leased by the accept's transaction and started once
 *    it commits, without a claim. Refused (something waits, or no room), they are queued, and
 *    nothing queued later overtakes them. A handed delivery whose webhook was disabled later in
 *    the same group commit is not sent.
 * 6. When to look: after `wake` (something was queued) or at a `dueAt` time; when a slot frees,
 *    unless the last look found nothing due; at the earliest due time or lease expiry it found;
 *    and at least every MAX_IDLE_MS. Every time comes from the one injected clock.
 * 7. Chaos (`--chaos`, chaos.ts; off by default, then one branch per attempt): before an attempt
 *    starts, chaos may hold its delivery back in the store, as rule 4 does, without a slot or room
 *    in the rate window; when an attempt ends, what it held back for that attempt becomes due.
 */
import { randomUUID } from 'node:crypto';
import type { Chaos } from './chaos.js';
import { share, type DueWebhook } from './fair-share.js';
import { reserveSlots, type RateWindow } from './policy.js';
import { InFlight } from '../core/in-flight.js';
import type { ClaimedDelivery, Lease, Store } from './store/index.js';

/** Longest sleep between two looks at the queue, whatever the clock says. */
export const MAX_IDLE_MS = 1_000;

export interface QueueOptions {
  store: Store;
  now: () => number;
  concurrency: number;
  /** How long a lease lasts (policy.leaseDuration). */
  leaseMs: number;
  rate: RateWindow;
  /** How far back to refill the rate window from the attempts table at start. */
  windowMs: number;
  /**
   * Sends one attempt of a leased delivery, started at `startedAt`; the slot is held until it
   * settles. `chaos` says what chaos did to it (rule 7), when it did something.
   */
  run: (delivery: ClaimedDelivery, lease: Lease, startedAt: number, chaos?: string) => Promise<void>;
  onError: (error: unknown) => void;
  /** Chaos delivery (rule 7); undefined (the default) for none. */
  chaos?: Chaos;
}

/** The accept path's way in, for one event: made before its group commit, used inside it, settled after. */
export interface Handoff {
  /** Inside the transaction: a lease for new deliveries to these webhooks when they may skip the queue, else undefined (they queue). */
  lease(webhookIds: readonly string[]): Lease | undefined;
  /** Inside the transaction: a delivery stored with that lease. */
  hand(delivery: ClaimedDelivery): void;
  /** Committed: starts what was handed (if its webhook is still active), or looks at the queue for what was queued. */
  committed(): void;
  /** The transaction failed: nothing was stored, the slots come back. */
  failed(): void;
}

export function createQueue(options: QueueOptions) {
  const { store, now, concurrency, leaseMs, rate, chaos } = options;
  const inFlight = new InFlight();
  const byWebhook = new Map<string, number>();
  const byUser = new Map<string, number>();
  const reserveByUser = new Map<string, number>();
  let shared = 0; // shared slots taken by attempts
  let promised = 0; // shared slots promised to handoffs not yet committed
  let reserve = 0;
  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let ticking = false;
  let again = false;
  let tickQueued = false;
  let lastReclaim = -Infinity;
  /**
   * Until this time the store holds no due delivery but those leased here: the last look drained
   * it, and whatever makes a delivery due since (wake, dueAt, a refused handoff) lowers it. While it
   * holds, a freed slot needs no look at the store, and new events may be handed over (rule 5).
   */
  let quietUntil = 0;

  const add = (map: Map<string, number>, key: string, n: number): void => {
    const value = (map.get(key) ?? 0) + n;
    if (value === 0) map.delete(key);
    else map.set(key, value);
  };

  function schedule(delayMs: number): void {
    if (!running) return;
    const at = now() + Math.max(0, delayMs);
    if (timer !== undefined && timerAt <= at) return;
    clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(
      () => {
        timer = undefined;
        timerAt = Infinity;
        tick();
      },
      Math.max(0, delayMs),
    );
  }

  /** Slots freed in the same turn of the event loop are filled by one look at the store. */
  function tickSoon(): void {
    if (tickQueued) return;
    tickQueued = true;
    setImmediate(() => {
      tickQueued = false;
      if (now() < quietUntil) return; // nothing is due: the slot waits for a handoff or the timer
      tick();
    });
  }

  function tick(): void {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        look();
      } while (again && running);
    } catch (error) {
      options.onError(error);
      schedule(MAX_IDLE_MS);
    } finally {
      ticking = false;
    }
  }

  function look(): void {
    if (shared + promised >= concurrency && reserve >= reserveSlots(concurrency)) {
      schedule(MAX_IDLE_MS); // every slot is taken: the next one freed looks again
      return;
    }
    const current = now();
    if (current - lastReclaim >= Math.min(leaseMs / 2, MAX_IDLE_MS)) {
      store.deliveries.reclaimExpired();
      lastReclaim = current;
    }
    const due: DueWebhook[] = [];
    let nextDue = Infinity; // of the webhooks with nothing due yet
    for (const waiting of store.deliveries.waiting()) {
      if (waiting.due_at > current) {
        nextDue = Math.min(nextDue, waiting.due_at);
        continue;
      }
      const room = rate.room(waiting.webhook_id, current);
      if (room <= 0) {
        const opens = rate.opensAt(waiting.webhook_id, current);
        store.deliveries.deferDue(waiting.webhook_id, opens); // rule 4
        nextDue = Math.min(nextDue, opens);
        continue;
      }
      due.push({ webhookId: waiting.webhook_id, userId: waiting.user_id, dueAt: waiting.due_at, room });
    }
    // Slots a webhook was given but had no delivery for go to the others, in the same look.
    let candidates = due;
    while (candidates.length > 0) {
      const grants = share(candidates, {
        concurrency,
        shared: shared + promised,
        reserve,
        byWebhook,
        byUser,
        reserveByUser,
      });
      if (grants.size === 0) break;
      const exhausted = new Set<string>();
      for (const [webhookId, grant] of grants) {
        const wanted = grant.shared + grant.reserve;
        const lease = { token: randomUUID(), until: current + leaseMs };
        const claimed = store.deliveries.claimDue(webhookId, wanted, lease);
        if (claimed.length < wanted) exhausted.add(webhookId);
        claimed.forEach((delivery, i) => launch(delivery, lease, current, i < grant.shared ? 'shared' : 'reserve'));
      }
      candidates = candidates.filter((w) => !exhausted.has(w.webhookId));
      for (const w of candidates) {
        const grant = grants.get(w.webhookId);
        if (grant) w.room -= grant.shared + grant.reserve; // they started: the rate window counted them
      }
      if (exhausted.size === 0) break; // every webhook given slots used them all: no slot is left
    }
    const drained = candidates.length === 0;
    if (!drained) {
      quietUntil = 0; // something still waits: every freed slot looks again
      schedule(MAX_IDLE_MS);
      return;
    }
    // Drained: what waits is due later (retries, deferrals); look again at the first of those or of
    // the leases. A webhook that had deliveries due may have later ones too: read again only then.
    let wakeAt = Math.min(nextDue, store.deliveries.nextLeaseExpiry() ?? Infinity);
    if (due.length > 0) for (const waiting of store.deliveries.waiting()) wakeAt = Math.min(wakeAt, waiting.due_at);
    quietUntil = Math.min(wakeAt, current + MAX_IDLE_MS);
    schedule(quietUntil - now());
  }

  /** Starts the attempt of a leased delivery in a slot of `kind`, or puts it back until its rate window has room. */
  function launch(delivery: ClaimedDelivery, lease: Lease, current: number, kind: 'shared' | 'reserve'): void {
    if (chaos !== undefined) {
      const until = chaos.hold(delivery, current);
      if (until !== undefined) {
        store.deliveries.defer(delivery.id, lease.token, until); // rule 7
        dueAt(until);
        tickSoon(); // the slot it was given goes to the next delivery
        return;
      }
    }
    const opens = rate.take(delivery.webhook_id, current);
    if (opens !== undefined) {
      store.deliveries.defer(delivery.id, lease.token, opens);
      dueAt(opens);
      return;
    }
    const { webhook_id: webhookId, user_id: userId } = delivery;
    const mark = chaos?.go(delivery);
    if (kind === 'shared') shared++;
    else {
      reserve++;
      add(reserveByUser, userId, 1);
    }
    add(byWebhook, webhookId, 1);
    add(byUser, userId, 1);
    let attempt: Promise<void>;
    try {
      attempt =
        mark === undefined ? options.run(delivery, lease, current) : options.run(delivery, lease, current, mark);
    } catch (error) {
      attempt = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    inFlight.start();
    void attempt
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        if (kind === 'shared') shared--;
        else {
          reserve--;
          add(reserveByUser, userId, -1);
        }
        add(byWebhook, webhookId, -1);
        add(byUser, userId, -1);
        inFlight.end();
        if (chaos !== undefined) release(delivery);
        tickSoon();
      });
  }

  /** Rule 7: an attempt ended; what chaos held back for it becomes due. */
  function release(delivery: ClaimedDelivery): void {
    try {
      for (const held of (chaos as Chaos).ended(delivery.webhook_id, delivery.id, now())) {
        store.deliveries.bringForward(held.id, held.at);
        dueAt(held.at);
      }
    } catch (error) {
      options.onError(error);
    }
  }

  /** Something becomes due at `at` (a retry, a deferral): the store must be looked at then. */
  function dueAt(at: number): void {
    if (at < quietUntil) quietUntil = at;
    schedule(at - now());
  }

  function wake(): void {
    quietUntil = 0;
    schedule(0);
  }

  return {
    /** Releases leases left by a run that died, refills the rate window, and starts looking. */
    start(): void {
      store.deliveries.releaseAll();
      for (const row of store.attempts.startedSince(now() - options.windowMs)) rate.seed(row.webhook_id, [row.at]);
      running = true;
      tick();
    },
    /** Deliveries were queued (or made due) by someone else: look at the store now. */
    wake,
    dueAt,
    /** Rule 5, for one accepted event. */
    handoff(): Handoff {
      let held = 0;
      let lease: Lease | undefined;
      let queued: readonly string[] = [];
      const handed: ClaimedDelivery[] = [];
      const giveBack = (): void => {
        promised -= held;
        held = 0;
      };
      return {
        lease(webhookIds) {
          const count = webhookIds.length;
          if (count === 0) return undefined;
          const current = now();
          if (running && current < quietUntil && count <= concurrency - shared - promised) {
            promised += count;
            held += count;
            lease = { token: randomUUID(), until: current + leaseMs };
            return lease;
          }
          quietUntil = 0; // they queue: nothing queued later may skip ahead of them
          queued = webhookIds;
          return undefined;
        },
        hand(delivery) {
          handed.push(delivery);
        },
        committed() {
          giveBack();
          // Queued behind a full worker, to webhooks that each have an attempt in flight: no reserve
          // slot is theirs, so the next freed slot's look finds them (a look per accept would be wasted).
          const full = shared + promised >= concurrency;
          if (queued.length > 0 && !(full && queued.every((id) => (byWebhook.get(id) ?? 0) > 0))) wake();
          if (handed.length === 0 || lease === undefined) return;
          // Stopping: they stay leased in the store, and the next start releases them (as after a crash).
          if (!running) return;
          const current = now();
          const active = store.webhooks.activeForUser((handed[0] as ClaimedDelivery).user_id); // one event: one user
          for (const delivery of handed) {
            try {
              if (active.some((w) => w.id === delivery.webhook_id)) launch(delivery, lease, current, 'shared');
              else store.deliveries.release(delivery.id, lease.token); // cancelled later in the same group commit
            } catch (error) {
              options.onError(error);
            }
          }
        },
        failed() {
          giveBack();
          wake();
        },
      };
    },
    /** Stops starting attempts; those in flight go on (see `settled`). */
    stop(): void {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
    },
    /** Resolves once no attempt is in flight (after stop(), none starts). */
    settled: (): Promise<unknown> => inFlight.idle(),
    /** How many attempts are in flight (for tests and the stop). */
    get inFlight(): number {
      return inFlight.size;
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
