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
  reserveSlots,
  retryDelayAfter,
  scaled,
} from './policy.js';
import { createChaos } from './chaos.js';
import type { ChaosSettings } from './chaos-spec.js';
import { createQueue } from './queue.js';
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
  /**
   * Only with chaos delivery on (issue 18), on an attempt chaos touched: `duplicate` (a second
   * send of an attempt answered 2xx: `outcome` stays the delivery's), `delayed 1.2s`,
   * `reordered after dlv_…` or `held back 5s, no later delivery came`, joined by commas.
   */
  chaos?: string;
}

export interface WorkerOptions {
  store: Store;
  now: () => number;
  timeScale: number;
  rateLimit: number;
  concurrency: number;
  /** Chaos delivery (issue 18); undefined (the default) for none. */
  chaos?: ChaosSettings;
  onAttempt: (info: AttemptInfo) => void;
  onError: (error: unknown) => void;
}

/**
 * The delivery engine: the queue (queue.ts) decides what goes out and when; the worker sends
 * each delivery it is given, signed, and records the attempt and its consequences in one short
 * transaction (never held across the HTTP call).
 */
export function createWorker(options: WorkerOptions) {
  const { store, now, timeScale, concurrency } = options;
  const timeoutMs = scaled(ATTEMPT_TIMEOUT_MS, timeScale);
  const windowMs = scaled(RATE_WINDOW_MS, timeScale);
  const shutdown = new AbortController();
  let stopping = false;
  const sender = createSender({
    timeoutMs,
    connections: concurrency + reserveSlots(concurrency),
    signal: shutdown.signal,
  });
  const streaks = createFailureStreaks();
  /** Webhooks whose committed failure count is known to be 0: a success on one needs no write. */
  const noFailures = store.cache<string, true>();
  const rate = createRateWindow(options.rateLimit, windowMs);
  const chaos = options.chaos === undefined ? undefined : createChaos(options.chaos, timeScale);
  const queue = createQueue({
    store,
    now,
    concurrency,
    leaseMs: leaseDuration(timeScale),
    rate,
    windowMs,
    run: attempt,
    onError: options.onError,
    chaos,
  });

  /**
   * One attempt of a leased delivery; `startedAt` is the time the rate window counted it at, and
   * `mark` what chaos did to it. With chaos on, an attempt answered 2xx may be sent again (`resend`).
   */
  async function attempt(delivery: ClaimedDelivery, lease: Lease, startedAt: number, mark?: string): Promise<void> {
    const ticket = streaks.start(delivery.webhook_id);
    // Drawn when the queue first saw this attempt (chaos.ts), not when its answer came back.
    const duplicateIfOk = chaos?.duplicate(delivery) ?? false;
    const number = delivery.attempt_count + 1;
    const headers = headersFor(delivery, number, startedAt);
    let result: SendResult;
    try {
      result = await sender.send({ url: delivery.url, headers, body: delivery.body });
    } catch (error) {
      // Stopping: the attempt did not finish, so it is not recorded; the delivery goes out again after a restart.
      const decided = streaks.finish(ticket, undefined);
      safely(() => store.deliveries.release(delivery.id, lease.token));
      if (decided.length > 0)
        store.commitSoon(() => countFailures(delivery.webhook_id, decided)).catch(options.onError);
      if (!shutdown.signal.aborted) options.onError(error);
      return;
    }
    const decided = streaks.finish(ticket, attemptSucceeded(result));
    let recorded: { info: AttemptInfo; retryAt: number | null };
    try {
      // Committed together with whatever else finished in this turn (store.commitSoon).
      recorded = await store.commitSoon(() => record(delivery, lease.token, number, startedAt, result, decided, mark));
    } catch (error) {
      options.onError(error);
      return;
    }
    if (recorded.retryAt !== null) queue.dueAt(recorded.retryAt);
    report(recorded.info);
    if (duplicateIfOk && attemptSucceeded(result)) await resend(delivery, number);
  }

  /** What every report of attempt `number` of `delivery` says, whatever came of it. */
  function attemptFacts(
    delivery: ClaimedDelivery,
    number: number,
    at: number,
    result: SendResult,
    error: string | null,
  ) {
    return {
      type: 'attempt' as const,
      at: iso(at),
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
    };
  }

  /** The signed headers of attempt `number` of `delivery`, timestamped `at`. */
  function headersFor(delivery: ClaimedDelivery, number: number, at: number): Record<string, string> {
    return deliveryHeaders({
      payload: delivery.body,
      secret: delivery.secret,
      timestamp: Math.floor(at / 1000),
      deliveryId: delivery.id,
      eventId: delivery.event_id,
      event: delivery.event_type,
      attempt: number,
      userAgent: USER_AGENT,
    });
  }

  function report(info: AttemptInfo): void {
    try {
      options.onAttempt(info);
    } catch (error) {
      options.onError(error); // a caller's callback (an assertion in a test suite) must not take the worker down
    }
  }

  /**
   * Chaos `duplicate` (issue 18): attempt `number`, answered 2xx, sent once more in the same slot,
   * as by a platform that lost the answer: the same ids and attempt number, a fresh timestamp and
   * signature. It takes room in the rate window (none: it is not sent), and is recorded as an
   * attempt marked `duplicate` that changes neither the delivery nor the failure count. Like any
   * attempt it goes only to an active webhook, at its URL and with its secret as they are now:
   * none after the webhook was deleted or disabled while the first copy was in flight.
   */
  async function resend(claimed: ClaimedDelivery, number: number): Promise<void> {
    const at = now();
    if (stopping) return; // stopping starts nothing new
    const webhook = store.webhooks.activeForUser(claimed.user_id).find((w) => w.id === claimed.webhook_id);
    if (webhook === undefined || rate.take(claimed.webhook_id, at) !== undefined) return;
    const delivery: ClaimedDelivery = { ...claimed, url: webhook.url, secret: webhook.secret };
    const headers = headersFor(delivery, number, at);
    let result: SendResult;
    try {
      result = await sender.send({ url: delivery.url, headers, body: delivery.body });
    } catch (error) {
      if (!shutdown.signal.aborted) options.onError(error);
      return; // stopping: not sent in full, not recorded
    }
    const ok = attemptSucceeded(result);
    const error = ok ? null : (result.error ?? `HTTP ${result.statusCode}`);
    try {
      await store.commitSoon(() =>
        store.attempts.insert({
          delivery_id: delivery.id,
          webhook_id: delivery.webhook_id,
          number,
          at,
          status_code: result.statusCode,
          duration_ms: result.durationMs,
          error,
          response_body: result.responseBody,
          chaos: 'duplicate',
        }),
      );
    } catch (failure) {
      options.onError(failure);
      return;
    }
    report({
      ...attemptFacts(delivery, number, at, result, error),
      outcome: 'succeeded', // the delivery's, which a duplicate never changes
      nextAttemptAt: null,
      webhookDisabled: false,
      chaos: 'duplicate',
    });
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
    mark: string | undefined,
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
      chaos: mark ?? null,
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
    const info: AttemptInfo = {
      ...attemptFacts(delivery, number, startedAt, result, error),
      outcome,
      nextAttemptAt: retryAt === null ? null : iso(retryAt),
      webhookDisabled,
    };
    if (mark !== undefined) info.chaos = mark;
    return { retryAt, info };
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
    /** The queue, for the accept path's handoff and for routes that queue deliveries (wake). */
    queue,
    /** Frees leases left by a previous run that died, refills the rate window, and starts delivering. */
    start(): void {
      queue.start();
    },
    /**
     * Stops starting attempts, lets those in flight finish for up to `graceMs`, then aborts the
     * rest and releases their leases (they go out again on the next start).
     */
    async stop(graceMs: number): Promise<void> {
      stopping = true;
      queue.stop();
      if (queue.inFlight > 0) {
        let graceTimer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((resolve) => {
          graceTimer = setTimeout(resolve, graceMs);
        });
        await Promise.race([queue.settled(), grace]);
        clearTimeout(graceTimer);
        shutdown.abort();
        await queue.settled();
      }
      await sender.close().catch(options.onError);
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
