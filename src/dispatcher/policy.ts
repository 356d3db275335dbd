import { MAX_TIMER_MS } from '../core/limits.js';

/**
 * The delivery rules of SPEC §4, each in exactly one place. Every duration here is in
 * unscaled milliseconds; `scaled()` applies `--time-scale`.
 */

/** Delays before attempts 2, 3 and 4 (the guide's retry logic). */
export const RETRY_DELAYS_MS = [2_000, 4_000, 8_000] as const;
/** Attempt 1 plus one per retry delay. */
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** A delivery attempt that has not answered within this is a failure. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Consecutive failed attempts after which a webhook is disabled. */
export const DISABLE_AFTER_FAILURES = 10;
/** The rate window and its default size: attempts per webhook per window. */
export const RATE_WINDOW_MS = 60_000;
export const DEFAULT_RATE_LIMIT = 100;
/** At most this many webhooks per user (kept in core: the CLI quotes it too). */
export { MAX_WEBHOOKS_PER_USER } from '../core/limits.js';

/** Attempts in flight at once, shared by every webhook (`--concurrency`). */
export const DEFAULT_CONCURRENCY = 64;

/**
 * Fairness (SPEC §4): on top of the `concurrency` slots every webhook shares, this many more are
 * kept for a webhook with no attempt in flight, at most half of them (rounded up) to one user.
 */
export function reserveSlots(concurrency: number): number {
  return Math.ceil(concurrency / 8);
}
export function reserveSlotsPerUser(concurrency: number): number {
  return Math.ceil(reserveSlots(concurrency) / 2);
}
/** A client must send its whole request within this (scaled), and never less than 1 s: a slow body is cut off with 408. */
export const REQUEST_TIMEOUT_MS = 10_000;
const MIN_REQUEST_TIMEOUT_MS = 1_000;

export function requestTimeout(timeScale: number): number {
  return Math.max(MIN_REQUEST_TIMEOUT_MS, scaled(REQUEST_TIMEOUT_MS, timeScale));
}
/** Request bodies over this are answered 413. */
export { MAX_BODY_BYTES } from '../core/limits.js';
/** How much of a receiver's answer an attempt keeps. */
export const RESPONSE_BODY_LIMIT = 4096;

export function scaled(ms: number, timeScale: number): number {
  return Math.max(0, Math.round(ms * timeScale));
}

/** Success is any 2xx within the timeout; 3xx, 4xx, 5xx fail (redirects are not followed). One rule, in core. */
export { isSuccessStatus as isSuccess } from '../core/outcome.js';

/** Delay before the attempt that follows failed attempt `attempt` (1-based), or undefined when it was the last. */
export function retryDelayAfter(attempt: number, timeScale: number): number | undefined {
  const delay = RETRY_DELAYS_MS[attempt - 1];
  return delay === undefined ? undefined : scaled(delay, timeScale);
}

/** How long a claimed delivery stays leased: the attempt's timeout plus room to record the result. */
export function leaseDuration(timeScale: number): number {
  const timeout = scaled(ATTEMPT_TIMEOUT_MS, timeScale);
  return timeout + Math.max(1_000, timeout);
}

/**
 * The rate window: at most `limit` attempts per webhook in any window of `windowMs` (a sliding
 * log). Attempts over it wait for room; they are never dropped and never count as failures.
 */
export interface RateWindow {
  /** Records an attempt starting at `at` when there is room and returns undefined; else the time room opens. */
  take(webhookId: string, at: number): number | undefined;
  /** How many attempts could start at `at` (Infinity without a limit). */
  room(webhookId: string, at: number): number;
  /** When the window of a webhook that has no room at `at` opens again. */
  opensAt(webhookId: string, at: number): number;
  /** Seeds the log with attempts made before a restart. */
  seed(webhookId: string, times: readonly number[]): void;
}

export function createRateWindow(limit: number, windowMs: number): RateWindow {
  const logs = new Map<string, number[]>();
  const prune = (log: number[], at: number): void => {
    while (log.length > 0 && (log[0] as number) <= at - windowMs) log.shift();
  };
  return {
    take(webhookId, at) {
      if (limit <= 0) return undefined;
      let log = logs.get(webhookId);
      if (!log) logs.set(webhookId, (log = []));
      prune(log, at);
      if (log.length < limit) {
        log.push(at);
        return undefined;
      }
      return (log[log.length - limit] as number) + windowMs;
    },
    opensAt(webhookId, at) {
      const log = logs.get(webhookId);
      if (limit <= 0 || !log) return at;
      prune(log, at);
      return log.length < limit ? at : (log[log.length - limit] as number) + windowMs;
    },
    room(webhookId, at) {
      if (limit <= 0) return Infinity;
      const log = logs.get(webhookId);
      if (!log) return limit;
      prune(log, at);
      return limit - log.length;
    },
    seed(webhookId, times) {
      if (limit <= 0 || times.length === 0) return;
      const log = [...(logs.get(webhookId) ?? []), ...times].sort((a, b) => a - b);
      logs.set(webhookId, log.slice(-limit));
    },
  };
}

/**
 * Chaos delivery (`--chaos`, issue 18). The longest extra wait `delay=` may ask for before an
 * attempt: the attempt timeout. A platform that took longer to send would have given up on the
 * attempt and retried it; the delay models a slow send, not an outage.
 */
export const CHAOS_MAX_DELAY_MS = ATTEMPT_TIMEOUT_MS;
/**
 * How long `reorder=` holds a delivery back at most: it goes as soon as an attempt of a later
 * delivery of its webhook has ended, or after this when no later one comes.
 */
export const REORDER_HOLD_MS = 5_000;

/**
 * The range of `--time-scale` (issue 16). Above the maximum the longest scaled duration, the
 * 60 s rate window, no longer fits a timer (2^31 − 1 ms) and would fire at once: 1e6 made every
 * attempt time out in milliseconds. Below the minimum the 10 s attempt timeout would be under
 * 10 ms, shorter than a local receiver's answer on a loaded machine, and the 2 s retry under 2 ms.
 */
export const MIN_TIME_SCALE = 0.001;
export const MAX_TIME_SCALE = Math.floor(MAX_TIMER_MS / Math.max(RATE_WINDOW_MS, leaseDuration(1)));

/**
 * "10 consecutive failed attempts" (SPEC §4), counted in the order the attempts started: a result
 * counts only once every attempt of its webhook that started before it has finished, so a slow
 * success already in flight breaks a run of fast failures that started after it (issue 15: fast
 * 500s finishing ahead of slow 200s disabled a healthy webhook).
 */
export interface FailureStreaks {
  /** An attempt of `webhookId` starts: its place in that webhook's order. */
  start(webhookId: string): StreakTicket;
  /**
   * It finished (`ok`), or never will count (`undefined`: cut short by a stop). Returns the results
   * now decided, in start order: this one's and those it was holding back, or none while an
   * attempt that started earlier is still in flight.
   */
  finish(ticket: StreakTicket, ok: boolean | undefined): boolean[];
}

export interface StreakTicket {
  webhookId: string;
  place: number;
}

export function createFailureStreaks(): FailureStreaks {
  /** Per webhook with attempts in flight: the next place to give, the first undecided one, and results held back. */
  const lines = new Map<string, { next: number; first: number; held: Map<number, boolean | undefined> }>();
  return {
    start(webhookId) {
      let line = lines.get(webhookId);
      if (!line) lines.set(webhookId, (line = { next: 0, first: 0, held: new Map() }));
      return { webhookId, place: line.next++ };
    },
    finish({ webhookId, place }, ok) {
      const line = lines.get(webhookId);
      if (!line) return [];
      line.held.set(place, ok);
      const decided: boolean[] = [];
      while (line.held.has(line.first)) {
        const result = line.held.get(line.first);
        line.held.delete(line.first++);
        if (result !== undefined) decided.push(result);
      }
      if (line.first === line.next) lines.delete(webhookId);
      return decided;
    },
  };
}
