import { formatDuration } from '../core/duration.js';
import { clip } from '../core/printable.js';
import type { Answer } from './send.js';

/** pass: as the platform needs; warn: works, but a risk or a bad habit; fail: deliveries fail, or forged ones get in. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable, for scripts: `delivery:trade.completed`, `forged-signature`, `raw-body`, `redirects`, … */
  id: string;
  /** What a passing receiver does: `refuses a forged signature`. */
  title: string;
  status: CheckStatus;
  /** The answer in a few words: `401 in 3ms`, `200, then 409`, `connection refused`. */
  outcome: string;
  /** What the answer means, in a sentence or three. */
  explain: string;
  /** What to change (warn and fail; a pass may carry a reminder). */
  fix?: string;
  /** Code that shows the fix. */
  snippet?: string[];
  /** The README section on it. */
  link: string;
  /** What each request of the check got back. */
  answers: Answer[];
}

/**
 * Where the report card sends people: the package's README, on npm (it ships inside the package
 * too). The anchors are the README's headings; this is the one place that names them.
 */
export const README_URL = 'https://www.npmjs.com/package/v2k-webhooks';
export const GUIDE = {
  verifying: `${README_URL}#verifying-deliveries-in-your-receiver`,
  check: `${README_URL}#check-your-receiver`,
} as const;

/** `401 in 3ms`, `302 → https://…`, `connection refused`. */
export function outcomeOf(a: Answer): string {
  if (a.status === null) return a.error ?? 'no answer';
  if (a.status >= 300 && a.status < 400) return `${a.status} → ${a.location ?? '(no Location)'}`;
  return a.error === null ? `${a.status} in ${formatDuration(a.ms)}` : `${a.status}, then ${a.error}`;
}

/** ` ("Invalid signature")`: the start of the answer's body, on one line, tags dropped; '' when empty. */
export function saying(a: Answer): string {
  const text = a.head
    .replace(/<(head|script|style|title)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(lt|gt|amp|quot|#39|nbsp);/g, (_, e: string) => ENTITIES[e] ?? ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text === '') return '';
  return ` (${JSON.stringify(clip(text, 100))})`;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'", nbsp: ' ' };
