import { randomUUID } from 'node:crypto';
import { attemptSucceeded } from '../core/outcome.js';
import { deliveryHeaders } from '../core/signature.js';
import { USER_AGENT } from '../core/version.js';
import {
  ATTEMPT_TIMEOUT_MS,
  DISABLE_AFTER_FAILURES,
  MAX_ATTEMPTS,
  RATE_WINDOW_MS,
  createFailureStreaks,
  createRateWindow,
  leaseDuration,
  retryDelayAfter,
  scaled,
} from './policy.js';
import { createSender, type SendResult } from './sender.js';
import { iso, type AttemptEnd, type ClaimedDelivery, type Lease, type Store } from './store/index.js';

/** One line of the dispatcher's log: an attempt and what became of its delivery. */
export interface AttemptInfo {
  type: 'attempt';
  at: string;
  deliveryId: string;
  webhookId: string;
  eventId: string;
  event: string;
  url: string;
  attempt: number;
  maxAttempts: number;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /**
   * `retrying`: another attempt is scheduled at `nextAttemptAt`. `cancelled`: the attempt failed
   * and its webhook was disabled or deleted meanwhile (an attempt answered 2xx is always `succeeded`).
   */
  outcome: 'succeeded' | 'retrying' | 'failed' | 'cancelled';
  nextAttemptAt: string | null;
  /**
   * True on the attempt whose record disabled the webhook: it completed a run of
   * DISABLE_AFTER_FAILURES failed attempts in a row, counted in the order they started.
   */
  webhookDisabled: boolean;
}

export interface WorkerOptions {
  store: Store;
  now: () => number;
  timeScale: number;
  rateLimit: number;
  concurrency: number;
  onAttempt: (info: AttemptInfo) => void;
  onError: (error: unknown) => void;
}

/** Longest sleep between two looks at the queue, whatever the clock says. */
const MAX_IDLE_MS = 1_000;

/** Slots of the worker promised to deliveries being stored by the accept path (see `reserve`). */
export interface Reservation extends Lease {
  count: number;
}

/**
 * The delivery engine: claims due deliveries under a lease, sends them signed, records each
 * attempt and its consequences in one short transaction (never held across the HTTP call).
 */
export function createWorker(options: WorkerOptions) {
  const { store, now, timeScale, concurrency } = options;
  const timeoutMs = scaled(ATTEMPT_TIMEOUT_MS, timeScale);
  const windowMs = scaled(RATE_WINDOW_MS, timeScale);
  const leaseMs = leaseDuration(timeScale);
  const rate = createRateWindow(options.rateLimit, windowMs);
  const shutdown = new AbortController();
  const sender = createSender({ timeoutMs, connections: concurrency, signal: shutdown.signal });
  const inFlight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let running = false;
  let ticking = false;
  let again = false;
  let lastReclaim = 0;
  /** Slots promised by reserve() whose deliveries are not committed yet. */
  let reserved = 0;
  /**
   * Until this time the store holds no due delivery but those this worker has leased: the last
   * look at the queue drained it, and everything that makes a delivery due since (an event
   * queued, a retry, a deferral, a redelivery: wake) lowers it. While it holds, finished
   * attempts need no look at the queue, and new events may skip it (reserve).
   */
  let quietUntil = 0;

  /**
   * Webhooks whose committed failure count is known to be 0: only this worker adds failures, so
   * a success on one of these needs no write. Kept until a webhook changes or a transaction rolls back.
   */
  const noFailures = store.cache<string, true>();
  const streaks = createFailureStreaks();

  /** Something becomes due at `at`: the queue must be looked at then. */
  function dueBy(at: number): void {
    if (at < quietUntil) quietUntil = at;
    schedule(at - now());
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    const at = Date.now() + Math.max(0, delayMs);
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

  /** Attempts that finish in the same turn of the event loop free their slots together: one claim for all. */
  let tickQueued = false;
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
        pump();
      } while (again && running);
    } catch (error) {
      options.onError(error);
      schedule(MAX_IDLE_MS);
    } finally {
      ticking = false;
    }
  }

  function pump(): void {
    const current = now();
    if (current - lastReclaim >= Math.min(leaseMs / 2, MAX_IDLE_MS)) {
      store.deliveries.reclaimExpired();
      lastReclaim = current;
    }
    const room = concurrency - inFlight.size - reserved;
    if (room <= 0) return; // a finishing attempt calls tick()
    const token = randomUUID();
    const claimed = store.deliveries.claimDue(room, token, current + leaseMs);
    for (const delivery of claimed) launch(delivery, token, current);
    if (claimed.length >= room) {
      quietUntil = 0;
      again = true;
      return;
    }
    const next = store.deliveries.nextDueAt();
    const nextLease = store.deliveries.nextLeaseExpiry();
    const wakeAt = Math.min(next ?? Infinity, nextLease ?? Infinity);
    quietUntil = Math.min(wakeAt, current + MAX_IDLE_MS);
    schedule(Math.min(MAX_IDLE_MS, Math.max(0, wakeAt - now())));
  }

  /** Starts the attempt of a leased delivery, or puts it back until the rate window has room. */
  function launch(delivery: ClaimedDelivery, token: string, current: number): void {
    const waitUntil = rate.take(delivery.webhook_id, current);
    if (waitUntil !== undefined) {
      store.deliveries.defer(delivery.id, token, waitUntil); // the window is full: wait, not a failure
      dueBy(waitUntil);
      return;
    }
    const job = attempt(delivery, token, current)
      .catch(options.onError)
      .finally(() => {
        inFlight.delete(job);
        tickSoon();
      });
    inFlight.add(job);
  }

  /** `startedAt` is the time the rate window counted this attempt at. */
  async function attempt(delivery: ClaimedDelivery, token: string, startedAt: number): Promise<void> {
    const ticket = streaks.start(delivery.webhook_id);
    const number = delivery.attempt_count + 1;
    const headers = deliveryHeaders({
      payload: delivery.body,
      secret: delivery.secret,
      timestamp: Math.floor(startedAt / 1000),
      deliveryId: delivery.id,
      eventId: delivery.event_id,
      event: delivery.event_type,
      attempt: number,
      userAgent: USER_AGENT,
    });
    let result: SendResult;
    try {
      result = await sender.send({ url: delivery.url, headers, body: delivery.body });
    } catch (error) {
      // Stopping: the attempt did not finish, so it is not recorded; the delivery goes out again after a restart.
      const decided = streaks.finish(ticket, undefined);
      safely(() => store.deliveries.release(delivery.id, token));
      if (decided.length > 0)
        store.commitSoon(() => countFailures(delivery.webhook_id, decided)).catch(options.onError);
      if (!shutdown.signal.aborted) options.onError(error);
      return;
    }
    const decided = streaks.finish(ticket, attemptSucceeded(result));
    let recorded: { info: AttemptInfo; retryAt: number | null };
    try {
      // Committed together with whatever else finished in this turn (store.commitSoon).
      recorded = await store.commitSoon(() => record(delivery, token, number, startedAt, result, decided));
    } catch (error) {
      options.onError(error);
      return;
    }
    if (recorded.retryAt !== null) dueBy(recorded.retryAt);
    try {
      options.onAttempt(recorded.info);
    } catch (error) {
      options.onError(error); // a caller's callback (an assertion in a test suite) must not take the worker down
    }
  }

  /**
   * Everything an attempt changes (run inside the batch's transaction): the attempt log, the
   * delivery, and the webhook's failure count for the results `decided` in start order.
   */
  function record(
    delivery: ClaimedDelivery,
    token: string,
    number: number,
    startedAt: number,
    result: SendResult,
    decided: readonly boolean[],
  ): { info: AttemptInfo; retryAt: number | null } {
    const ok = attemptSucceeded(result);
    const error = ok ? null : (result.error ?? `HTTP ${result.statusCode}`);
    store.attempts.insert({
      delivery_id: delivery.id,
      webhook_id: delivery.webhook_id,
      number,
      at: startedAt,
      status_code: result.statusCode,
      duration_ms: result.durationMs,
      error: result.error ?? error,
      response_body: result.responseBody,
    });
    const delay = ok ? undefined : retryDelayAfter(number, timeScale);
    const end: AttemptEnd = ok
      ? { status: 'succeeded' }
      : delay === undefined
        ? { status: 'failed' }
        : { status: 'pending', retryAt: now() + delay };
    const status = store.deliveries.finish(delivery.id, token, number, end);
    const webhookDisabled = countFailures(delivery.webhook_id, decided);
    // A 2xx is `succeeded` whatever happened to the webhook meanwhile; a failure on a delivery
    // cancelled meanwhile (or by this very record) is `cancelled`; a lost lease too.
    let outcome: AttemptInfo['outcome'] =
      status === 'succeeded'
        ? 'succeeded'
        : status === 'failed'
          ? 'failed'
          : status === 'pending'
            ? 'retrying'
            : 'cancelled';
    if (outcome === 'retrying' && webhookDisabled) outcome = 'cancelled';
    const retryAt = outcome === 'retrying' && end.status === 'pending' ? end.retryAt : null;
    return {
      retryAt,
      info: {
        type: 'attempt',
        at: iso(startedAt),
        deliveryId: delivery.id,
        webhookId: delivery.webhook_id,
        eventId: delivery.event_id,
        event: delivery.event_type,
        url: delivery.url,
        attempt: number,
        maxAttempts: MAX_ATTEMPTS,
        statusCode: result.statusCode,
        durationMs: result.durationMs,
        error,
        outcome,
        nextAttemptAt: retryAt === null ? null : iso(retryAt),
        webhookDisabled,
      },
    };
  }

  /** Applies results decided in start order to the webhook's consecutive failures; true when this disabled it. */
  function countFailures(webhookId: string, decided: readonly boolean[]): boolean {
    let disabled = false;
    for (const ok of decided) {
      if (ok) {
        if (noFailures.get(webhookId) === undefined) {
          store.webhooks.resetFailures(webhookId);
          noFailures.set(webhookId, true);
        }
        continue;
      }
      const failures = store.webhooks.addFailure(webhookId); // undefined once it is inactive: nothing more counts
      if (failures !== undefined && failures >= DISABLE_AFTER_FAILURES) {
        disabled = store.webhooks.disable(webhookId, 'consecutive_failures') || disabled;
        store.deliveries.cancelPending(webhookId);
      }
    }
    return disabled;
  }

  function safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      options.onError(error);
    }
  }

  return {
    /** Frees leases left by a previous run that died, refills the rate window, and starts the loop. */
    start(): void {
      store.deliveries.releaseAll();
      lastReclaim = now();
      const since = now() - windowMs;
      for (const row of store.attempts.startedSince(since)) rate.seed(row.webhook_id, [row.at]);
      running = true;
      tick();
    },
    /** Deliveries were queued (or made due) by someone else: look at the queue now. */
    wake(): void {
      quietUntil = 0;
      if (running) schedule(0);
    },
    /**
     * The accept path asks for `count` slots for the deliveries of one event, inside the
     * transaction that stores them. Granted only while nothing is waiting in the queue (they
     * would overtake it) and there is room: the deliveries are then stored already leased with
     * the answer, and handed over with `take` once committed, without a trip through the queue.
     * Refused, they are queued as usual, and nothing queued later may skip ahead of them.
     */
    reserve(count: number): Reservation | undefined {
      if (count === 0) return undefined;
      const current = now();
      if (running && current < quietUntil && count <= concurrency - inFlight.size - reserved) {
        reserved += count;
        return { token: randomUUID(), until: current + leaseMs, count };
      }
      quietUntil = 0;
      return undefined;
    },
    /** The reserved deliveries are committed: send them. */
    take(reservation: Reservation, deliveries: readonly ClaimedDelivery[]): void {
      reserved -= reservation.count;
      if (!running) return; // stopping: they stay leased in the store, and the next start releases them (as after a crash)
      const current = now();
      for (const delivery of deliveries) safely(() => launch(delivery, reservation.token, current));
    },
    /** The transaction that held a reservation failed: nothing was stored. */
    cancel(reservation: Reservation): void {
      reserved -= reservation.count;
      quietUntil = 0;
      if (running) schedule(0);
    },
    /**
     * Stops claiming, lets in-flight attempts finish for up to `graceMs`, then aborts the rest
     * and releases their leases (they go out again on the next start).
     */
    async stop(graceMs: number): Promise<void> {
      running = false;
      clearTimeout(timer);
      timer = undefined;
      if (inFlight.size > 0) {
        let graceTimer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          graceTimer = setTimeout(resolve, graceMs);
        });
        await Promise.race([Promise.allSettled([...inFlight]), grace]);
        clearTimeout(graceTimer);
        shutdown.abort();
        await Promise.allSettled([...inFlight]);
      }
      await sender.close().catch(options.onError);
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
