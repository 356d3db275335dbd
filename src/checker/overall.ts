import { formatBytes } from '../core/bytes.js';
import { MAX_BODY_BYTES } from '../core/limits.js';
import { DISABLE_AFTER_FAILURES, RESPONSE_BODY_LIMIT } from '../dispatcher/policy.js';
import { GUIDE, outcomeOf, type CheckResult } from './result.js';
import type { Answer } from './send.js';

// The checks over the whole battery's answers, and the one that stops it.

export const REDIRECTS = { id: 'redirects', title: 'answers without redirecting' } as const;
export const ANSWER_SIZE = { id: 'answer-size', title: `answers under ${formatBytes(MAX_BODY_BYTES)}` } as const;

/** Every answer of the battery: a redirect anywhere fails (SPEC §4: redirects are not followed). */
export function judgeRedirects(answers: readonly Answer[]): CheckResult {
  const redirects = answers.filter((a) => a.status !== null && a.status >= 300 && a.status < 400);
  const base = { ...REDIRECTS, answers: redirects, link: GUIDE.check };
  const [example] = redirects;
  if (example === undefined) {
    return { ...base, status: 'pass', outcome: 'no redirect', explain: 'No answer was a redirect.' };
  }
  return {
    ...base,
    status: 'fail',
    outcome: `${redirects.length} of ${answers.length} redirected`,
    explain: `${redirects.length === answers.length ? 'Every answer was' : `${redirects.length} answers were`} a redirect (${outcomeOf(example)}). The platform does not follow redirects: each is a failed delivery, and ${DISABLE_AFTER_FAILURES} failures in a row disable the webhook.`,
    fix: 'Register the URL the redirect points to (often https:// instead of http://, or a trailing slash).',
  };
}

/** Every answer of the battery: one over 1 MiB is a warning. */
export function judgeSizes(answers: readonly Answer[]): CheckResult {
  const largest = answers.reduce<Answer | undefined>(
    (max, a) => (max === undefined || a.bytes > max.bytes ? a : max),
    undefined,
  );
  const over = answers.filter((a) => a.overCap);
  const base = { ...ANSWER_SIZE, link: GUIDE.check };
  if (over.length === 0) {
    const size = formatBytes(largest?.bytes ?? 0);
    return {
      ...base,
      status: 'pass',
      outcome: `largest ${size}`,
      explain: `The largest answer was ${size}.`,
      answers: [],
    };
  }
  return {
    ...base,
    status: 'warn',
    outcome: `${over.length} over ${formatBytes(MAX_BODY_BYTES)}`,
    explain: `${over.length === 1 ? 'One answer was' : `${over.length} answers were`} larger than ${formatBytes(MAX_BODY_BYTES)} (the check stopped reading there). The platform keeps only the first ${formatBytes(RESPONSE_BODY_LIMIT)} of an answer for the delivery log; the rest is time and bandwidth for nothing.`,
    fix: 'Answer with a short body: "OK", or nothing.',
    answers: over,
  };
}

/** The first request found nothing at the URL: the battery stops there. */
export function judgeUnreachable(url: string, a: Answer): CheckResult {
  return {
    id: 'reachable',
    title: 'answers at this URL',
    status: 'fail',
    outcome: a.error ?? 'no answer',
    explain: `Nothing answered at ${url} (${a.error ?? 'no answer'}), so nothing else was checked.`,
    fix: 'Start your receiver, or point the check at the URL it listens on (for example localhost:3000/webhooks/v2k).',
    link: GUIDE.check,
    answers: [a],
  };
}
