import { formatDuration } from '../core/duration.js';
import { EVENT_TYPES, isDeliverableEvent, type DeliverableEvent } from '../core/events.js';
import { MAX_BODY_BYTES } from '../core/limits.js';
import { UsageError } from '../core/errors.js';
import { checkWebhookUrl } from '../core/webhook-url.js';
import { ATTEMPT_TIMEOUT_MS } from '../dispatcher/policy.js';
import { judge, SLOW_ANSWER_MS } from './judge.js';
import { ANSWER_SIZE, judgeRedirects, judgeSizes, judgeUnreachable, REDIRECTS } from './overall.js';
import { buildBattery, type Probe } from './probes.js';
import type { CheckResult, CheckStatus } from './result.js';
import { createClient, type Answer } from './send.js';

export { SLOW_ANSWER_MS } from './judge.js';
export { GUIDE, README_URL, type CheckResult, type CheckStatus } from './result.js';
export type { Answer } from './send.js';

export interface CheckReceiverOptions {
  /** The receiver's absolute http(s) URL. */
  url: string;
  /** The webhook secret the receiver verifies with. */
  secret: string;
  /** Event types it subscribes to: one valid delivery of each (default: all seven). The first one also carries the other checks. */
  events?: readonly DeliverableEvent[];
  /** Longest wait for one answer, in ms; default and maximum the platform's delivery timeout (10s). */
  timeoutMs?: number;
  /** A 2xx slower than this is a warning; default 1 s. */
  slowMs?: number;
  /** Stops the battery: the request in flight is aborted and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Before the first request: the checks about to run, in order (a card can align its columns). */
  onPlan?: (plan: CheckPlan) => void;
  /** Each check's result as soon as it is known. */
  onResult?: (result: CheckResult) => void;
}

export interface CheckPlan {
  url: string;
  checks: Array<{ id: string; title: string }>;
  /** How many requests the battery sends at most. */
  requests: number;
  timeoutMs: number;
}

export interface CheckReport {
  url: string;
  /** No check failed (warnings allowed). */
  ok: boolean;
  counts: Record<CheckStatus, number>;
  /** Requests sent. */
  requests: number;
  results: CheckResult[];
}

/**
 * Tests a webhook receiver the way a careful reviewer would (issue 18): valid deliveries of
 * each event type (2xx, and quickly), forged, tampered, unsigned and stale ones (refused), a
 * correctly signed body that `JSON.stringify` would write differently (accepted: the receiver
 * verifies raw bytes), the same delivery twice (both 2xx), no redirects, small answers.
 *
 * Requests go one at a time, signed like the platform's own (both schemes), at most 14 of them.
 * Resolves with one result per check; never throws for what the receiver does.
 */
export async function checkReceiver(options: CheckReceiverOptions): Promise<CheckReport> {
  const url = parseUrl(options.url);
  const secret = options.secret;
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new UsageError('checkReceiver() needs the secret the receiver verifies with.');
  }
  const events = [...new Set(options.events ?? EVENT_TYPES)];
  const unknown = events.find((e) => !isDeliverableEvent(e));
  if (events.length === 0 || unknown !== undefined) {
    throw new UsageError(
      unknown === undefined
        ? 'checkReceiver() needs at least one event type.'
        : `Unknown event type ${JSON.stringify(unknown)}.`,
      `Event types: ${EVENT_TYPES.join(', ')}.`,
    );
  }
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  if (!(timeoutMs > 0 && timeoutMs <= ATTEMPT_TIMEOUT_MS)) {
    throw new UsageError(
      `The timeout must be above 0 and at most the platform's ${formatDuration(ATTEMPT_TIMEOUT_MS)}.`,
    );
  }
  const slowMs = options.slowMs ?? Math.min(SLOW_ANSWER_MS, timeoutMs);

  let probes: Probe[];
  try {
    probes = buildBattery({ secret, events, now: new Date() });
    probes[0]?.requests[0]?.(Math.floor(Date.now() / 1000)); // signs once now: a bad secret fails here, not mid-battery
  } catch (error) {
    // signature.ts refuses a secret it cannot sign with (empty key bytes): say so as bad input.
    throw new UsageError(
      `The secret cannot sign deliveries: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const requests = probes.reduce((n, p) => n + p.requests.length, 0);
  options.onPlan?.({
    url: url.href,
    checks: [...probes.map(({ id, title }) => ({ id, title })), REDIRECTS, ANSWER_SIZE],
    requests,
    timeoutMs,
  });

  const client = createClient({ url, timeoutMs, capBytes: MAX_BODY_BYTES, stop: options.signal });
  const results: CheckResult[] = [];
  const all: Answer[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  try {
    let baseline: Answer | undefined;
    for (const [index, probe] of probes.entries()) {
      const answers: Answer[] = [];
      for (const build of probe.requests) {
        answers.push(await client.send(build(Math.floor(Date.now() / 1000))));
      }
      all.push(...answers);
      const [first] = answers;
      if (index === 0) {
        if (first?.failure === 'unreachable') {
          report(judgeUnreachable(url.href, first));
          return summarize(url.href, results, all.length);
        }
        baseline = first;
      }
      report(judge(probe, answers, { baseline, slowMs, timeoutMs }));
    }
    report(judgeRedirects(all));
    report(judgeSizes(all));
  } finally {
    await client.close();
  }
  return summarize(url.href, results, all.length);
}

function summarize(url: string, results: CheckResult[], requests: number): CheckReport {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status] += 1;
  return { url, ok: counts.fail === 0, counts, requests, results };
}

/** The receiver's URL is one a webhook could be registered with: the API's rule (SPEC §3). */
function parseUrl(value: string): URL {
  const problem = checkWebhookUrl(value);
  if (problem !== undefined) {
    throw new UsageError(
      `The receiver URL ${problem}.`,
      "Pass the receiver's URL, such as http://localhost:3000/webhooks/v2k.",
    );
  }
  return new URL(value);
}
