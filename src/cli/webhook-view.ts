import type { ChalkInstance } from 'chalk';
import type { Attempt, Delivery, Webhook, WebhookStats } from '../core/api-types.js';
import { formatDuration } from '../core/duration.js';
import { EVENT_TYPES, type EventSubscription } from '../core/events.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { MAX_DESCRIPTION_LENGTH } from '../core/limits.js';
import { checkWebhookUrl } from '../core/webhook-url.js';
import { clip, printable } from '../core/printable.js';

/** Shared by the management commands: argument checks and how webhooks and deliveries read for people. */

/** The API's ranges (SPEC §3; the dispatcher's validate.ts), checked before a call so a bad flag is a usage error (exit 2), not a 400. */

/** `--events a,b --events c` → ['a', 'b', 'c'], checked against the catalog; `*` stands alone. */
export function parseEvents(values: string[] | string | undefined, flag: string): EventSubscription[] {
  const list = (typeof values === 'string' ? [values] : (values ?? []))
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const type of list) {
    if (type !== '*' && !(EVENT_TYPES as readonly string[]).includes(type)) {
      throw new UsageError(
        `${flag}: unknown event type ${JSON.stringify(type)}.${didYouMean(type, EVENT_TYPES)}`,
        `Use a comma-separated list of ${EVENT_TYPES.join(', ')}, or * for all (\`v2k-webhooks events\` describes them).`,
      );
    }
  }
  if (list.includes('*')) return ['*'];
  return [...new Set(list)] as EventSubscription[];
}

/**
 * `localhost:3000` and `127.0.0.1:3000/hooks` mean http://…, as `listen --forward` reads them
 * (issue 17: create refused them as "must use http or https, not localhost"). Anything else is
 * left as it is.
 */
export function expandUrlShorthand(value: string): string {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})(\/\S*)?$/.exec(value.trim());
  return match ? `http://${match[1]}:${match[2]}${match[3] ?? '/'}` : value;
}

/** A URL flag, or a usage error (exit 2) saying what is wrong with it (core/webhook-url.ts holds the rule). */
export function requireWebhookUrl(given: string, flag: string): string {
  const value = expandUrlShorthand(given);
  const problem = checkWebhookUrl(value);
  if (problem !== undefined) {
    throw new UsageError(
      `Bad ${flag} ${JSON.stringify(clip(given, 100))}: the URL ${problem}.`,
      `Pass ${flag} https://…`,
    );
  }
  return value;
}

/** For a prompt's validate: true, or what to fix. */
export function validateWebhookUrlAnswer(value: string): true | string {
  const problem = checkWebhookUrl(expandUrlShorthand(value));
  return problem === undefined ? true : `The URL ${problem}.`;
}

/** A description the API accepts: at most 500 characters, none of them control characters. */
export function checkDescription(value: string): true | string {
  if (value.length > MAX_DESCRIPTION_LENGTH)
    return `It is ${value.length} characters long; the API accepts at most ${MAX_DESCRIPTION_LENGTH}.`;
  if (/\p{Cc}/u.test(value))
    return 'It holds a control character (a line break or tab, say); keep it to one line of text.';
  return true;
}

export function requireDescription(value: string, flag: string): string {
  const verdict = checkDescription(value);
  if (verdict !== true) throw new UsageError(`Bad ${flag}: ${verdict}`, `Pass a shorter ${flag} "…" on one line.`);
  return value;
}

/** The events column of a table: the first few, then how many more. */
export function shortEvents(events: readonly string[], max = 3): string {
  return events.length <= max
    ? events.join(',')
    : `${events.slice(0, max - 1).join(',')} +${events.length - max + 1} more`;
}

export function webhookState(hook: Pick<Webhook, 'isActive' | 'disabledReason'>): string {
  if (hook.isActive) return 'active';
  return hook.disabledReason === 'consecutive_failures' ? 'disabled (failures)' : 'disabled';
}

export function renderWebhook(
  hook: Webhook & { stats?: WebhookStats },
  style: ChalkInstance,
  now = Date.now(),
): string {
  const state = webhookState(hook);
  const lines = [
    `${style.bold(hook.id)}  ${hook.isActive ? style.green(state) : style.red(state)}`,
    field('URL', printable(hook.url)),
    field('Events', printable(hook.events.join(', '))),
    field('Description', hook.description === null ? '—' : printable(hook.description)),
    field('Created', `${hook.createdAt}${ago(hook.createdAt, now)}`),
    field('Updated', `${hook.updatedAt}${ago(hook.updatedAt, now)}`),
  ];
  if (hook.disabledReason === 'consecutive_failures') {
    lines.push(
      style.yellow(
        `Disabled after repeated failures: fix the receiver, then \`v2k-webhooks update ${hook.id} --enable\`.`,
      ),
    );
  }
  const stats = hook.stats;
  if (stats) {
    lines.push(
      '',
      field('Deliveries', `${stats.deliveries} (${stats.succeeded} succeeded, ${stats.failed} failed)`),
      field('Success rate', stats.successRate === null ? '—' : `${round(stats.successRate * 100)}%`),
      field(
        'Response',
        stats.avgResponseMs === null
          ? '—'
          : `avg ${formatDuration(stats.avgResponseMs)}, p95 ${formatDuration(stats.p95ResponseMs ?? 0)}`,
      ),
      field('Last delivery', stats.lastDeliveryAt ? `${stats.lastDeliveryAt}${ago(stats.lastDeliveryAt, now)}` : '—'),
    );
  }
  return lines.join('\n');
}

/**
 * The attempt that says how the delivery went: its last one that is not a chaos duplicate (a
 * duplicate, answered or refused, never changes its delivery; docs/chaos.md).
 */
export function lastAttempt(delivery: Delivery): Attempt | undefined {
  for (let i = delivery.attempts.length - 1; i >= 0; i--) {
    const attempt = delivery.attempts[i] as Attempt;
    if (attempt.chaos !== 'duplicate') return attempt;
  }
  return undefined;
}

/** "succeeded 200 · 3m ago", "failed 500 · 10s ago", "pending". */
export function summarizeDelivery(delivery: Delivery, now = Date.now()): string {
  const attempt = lastAttempt(delivery);
  const result = attempt ? ` ${attempt.statusCode ?? attempt.error ?? 'no answer'}` : '';
  const at = attempt?.at ?? delivery.createdAt;
  return `${delivery.status}${result} · ${relative(at, now)}`;
}

export function attemptResult(attempt: Attempt): string {
  if (attempt.statusCode !== null) {
    const extra = attempt.error && !attempt.error.includes(String(attempt.statusCode)) ? ` (${attempt.error})` : '';
    return printable(`HTTP ${attempt.statusCode}${extra}`);
  }
  return printable(attempt.error ?? 'no answer');
}

/** The start of a response body, on one line. */
export function snippet(text: string | null, max = 200): string {
  if (text === null || text === '') return '(empty)';
  // A receiver's answer is anyone's text: whitespace folded, other control characters escaped.
  const flat = printable(text.replace(/\s+/g, ' ').trim());
  return clip(flat, max);
}

export function relative(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 0) return `in ${span(-seconds)}`;
  return seconds < 1 ? 'just now' : `${span(seconds)} ago`;
}

function span(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function ago(iso: string, now: number): string {
  const text = relative(iso, now);
  return text === iso ? '' : ` (${text})`;
}

function field(name: string, value: string): string {
  return `${`${name}`.padEnd(14)}${value}`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
