import { formatDuration } from '../core/duration.js';
import { isSuccessStatus } from '../core/outcome.js';
import { DEFAULT_TOLERANCE_SECONDS } from '../core/signature.js';
import { ATTEMPT_TIMEOUT_MS, DISABLE_AFTER_FAILURES, MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../dispatcher/policy.js';
import { STALE_AGE_SECONDS, type Probe } from './probes.js';
import { GUIDE, outcomeOf, saying, type CheckResult } from './result.js';
import type { Answer } from './send.js';

/** Above this, a 2xx is a warning: the guide's "return 200 quickly" (SPEC is silent on a number; issue 18 says 1 s). */
export const SLOW_ANSWER_MS = 1_000;

export interface JudgeContext {
  /** The valid delivery of the event the other probes use: a refusal means little when this was refused too. */
  baseline: Answer | undefined;
  slowMs: number;
  timeoutMs: number;
}

const RETRY_RULES = `retries it ${RETRY_DELAYS_MS.map(formatDuration).join(', ')} later (${MAX_ATTEMPTS} attempts in all), and ${DISABLE_AFTER_FAILURES} failures in a row disable the webhook`;
const RETRIES = `the platform counts a failure and ${RETRY_RULES}`;

export function judge(probe: Probe, answers: readonly Answer[], ctx: JudgeContext): CheckResult {
  const [first, second] = answers;
  if (first === undefined) throw new RangeError(`no answer to judge for ${probe.id}`);
  const base = { id: probe.id, title: probe.title, answers: [...answers] };
  const verdict = (() => {
    switch (probe.kind) {
      case 'delivery':
        return delivery(probe, first, ctx);
      case 'forged':
      case 'tampered':
      case 'unsigned':
      case 'stale':
        return refusal(probe, first, ctx);
      case 'reserialized':
        return reserialized(probe, first, ctx);
      case 'duplicate':
        return duplicate(probe, first, second, ctx);
    }
  })();
  return { ...base, ...verdict };
}

type Verdict = Omit<CheckResult, 'id' | 'title' | 'answers'>;

const accepted = (a: Answer | undefined): boolean => a !== undefined && isSuccessStatus(a.status) && a.error === null;

function delivery(probe: Probe, a: Answer, ctx: JudgeContext): Verdict {
  const outcome = outcomeOf(a);
  if (accepted(a)) {
    if (a.ms <= ctx.slowMs)
      return { status: 'pass', outcome, explain: `It answered ${a.status} at once.`, link: GUIDE.check };
    return {
      status: 'warn',
      outcome,
      explain: `It answered ${a.status}, but took ${formatDuration(a.ms)}. The platform gives up after ${formatDuration(ATTEMPT_TIMEOUT_MS)} and retries; a receiver that does its work before answering gets there under load.`,
      fix: QUICK_FIX,
      link: GUIDE.check,
    };
  }
  return { status: 'fail', outcome, ...failedDelivery(probe, a, ctx) };
}

const QUICK_FIX =
  'Return 200 quickly: verify the signature, store or queue the event, answer, and do the work afterwards.';

/** Why a valid delivery failed, and what to do: the same for every probe that sends one. */
function failedDelivery(probe: Probe, a: Answer, ctx: JudgeContext): Omit<Verdict, 'status' | 'outcome'> {
  const said = saying(a);
  if (a.failure === 'timeout') {
    const ours =
      ctx.timeoutMs < ATTEMPT_TIMEOUT_MS
        ? ` (the check's timeout; the platform waits ${formatDuration(ATTEMPT_TIMEOUT_MS)})`
        : '';
    return {
      explain: `No complete answer within ${formatDuration(ctx.timeoutMs)}${ours}: ${RETRIES}.`,
      fix: QUICK_FIX,
      link: GUIDE.check,
    };
  }
  if (a.status === null) {
    return {
      explain: `No answer (${a.error ?? 'the connection broke'}). Did your receiver crash on an earlier request or on this one? Then ${RETRIES}.`,
      fix: "Look at your receiver's log for the error.",
      link: GUIDE.check,
    };
  }
  if (a.status >= 300 && a.status < 400) {
    return {
      explain: `It answered ${a.status}, a redirect. The platform does not follow redirects, so every delivery to this URL fails.`,
      fix: 'Register the URL the redirect points to (often https:// instead of http://, or a trailing slash).',
      link: GUIDE.check,
    };
  }
  if (a.status === 401 || a.status === 403) {
    return {
      explain: `It refused a correctly signed ${probe.event} delivery with ${a.status}${said}. Is the secret you gave the check the one your receiver verifies with (the webhook's, from create or rotate-secret)?`,
      fix: 'Run the check with the secret your receiver uses; if it is the same, make the receiver verify the raw body.',
      link: GUIDE.verifying,
    };
  }
  if (a.status === 404 || a.status === 405) {
    return {
      explain: `It answered ${a.status}${said}: nothing takes a POST at this URL.`,
      fix: 'Check the URL: the path of your webhook route, which must accept POST.',
      link: GUIDE.check,
    };
  }
  if (isSuccessStatus(a.status)) {
    return {
      explain: `It answered ${a.status}, but the connection broke before the answer ended (${a.error ?? 'reset'}): the platform counts that as a failure.`,
      fix: 'Finish the answer: send the status and a short body, and close it.',
      link: GUIDE.check,
    };
  }
  if (a.status < 500) {
    return {
      explain: `It refused the catalog's sample ${probe.event} with ${a.status}${said}: ${RETRIES}.`,
      fix: `Accept every event type the webhook subscribes to (\`v2k-webhooks events ${probe.event}\` shows the sample), and answer 2xx to one you do not handle.`,
      link: GUIDE.check,
    };
  }
  return {
    explain: `It failed with ${a.status}${said} on the catalog's sample ${probe.event}: ${RETRIES}.`,
    fix: "Look at your receiver's log for the error; answer 2xx to an event you do not handle.",
    link: GUIDE.check,
  };
}

const REFUSAL = {
  forged: {
    sent: 'a delivery signed with another secret',
    got: 'anyone who knows its URL can send it events: it accepted a delivery signed with another secret.',
  },
  tampered: {
    sent: 'a body changed after it was signed',
    got: 'it accepted a body changed after it was signed, so whoever sits between the platform and you can change amounts.',
  },
  unsigned: {
    sent: 'a delivery without any signature header',
    got: 'it accepted a delivery with no signature header at all: it does not verify, or skips the check when the header is missing.',
  },
  stale: {
    sent: `a correctly signed delivery whose webhook-timestamp is ${formatDuration(STALE_AGE_SECONDS * 1000)} old`,
    got: '',
  },
} as const;

function refusal(probe: Probe, a: Answer, ctx: JudgeContext): Verdict {
  const outcome = outcomeOf(a);
  const kind = probe.kind as keyof typeof REFUSAL;
  const { sent } = REFUSAL[kind];
  if (accepted(a)) {
    if (kind === 'stale') {
      return {
        status: 'warn',
        outcome,
        explain: `It accepted ${sent}: it has no replay protection. Whoever captures one delivery can send it again, as often as they like.`,
        fix: `Verify the Standard Webhooks headers too (webhook-id, webhook-timestamp, webhook-signature): verify() from this package, or any Standard Webhooks library, refuses a timestamp more than ${formatDuration(DEFAULT_TOLERANCE_SECONDS * 1000)} from now.`,
        link: GUIDE.verifying,
      };
    }
    return {
      status: 'fail',
      outcome,
      explain: `Your endpoint accepts forged deliveries: ${REFUSAL[kind].got}`,
      fix: "Verify X-V2K-Signature (or webhook-signature) on the raw body with the webhook's secret before anything else, and answer 401 when it is missing or does not match.",
      link: GUIDE.verifying,
    };
  }
  const inconclusive = inconclusiveUnlessBaseline(probe, a, ctx);
  if (inconclusive) return inconclusive;
  if (a.status !== null && a.status >= 400 && a.status < 500) {
    const what = kind === 'stale' ? 'it checks webhook-timestamp' : 'it verifies the signature';
    return { status: 'pass', outcome, explain: `It refused ${sent} with ${a.status}: ${what}.`, link: GUIDE.verifying };
  }
  if (a.status !== null && a.status >= 500) {
    return {
      status: 'warn',
      outcome,
      explain: `It refused ${sent} with ${a.status}${saying(a)}, not a 4xx: your code throws while checking it (crypto.timingSafeEqual throws on buffers of different lengths, Buffer.from(undefined) on a missing header). Anyone can trigger that error.`,
      fix: 'Treat a missing or malformed signature as a failed check: answer 401, do not throw.',
      link: GUIDE.verifying,
    };
  }
  return {
    status: 'warn',
    outcome,
    explain: `No answer to ${sent} (${a.error ?? 'no answer'}): did your receiver crash on it? Anyone can send it.`,
    fix: 'Treat a delivery that fails verification as a failed check: answer 401, do not throw.',
    link: GUIDE.verifying,
  };
}

/**
 * A redirect, or a valid delivery refused too: the answer to a bad delivery proves nothing. A
 * warning with no fix of its own: the fix is the other check's, named here.
 */
function inconclusiveUnlessBaseline(probe: Probe, a: Answer, ctx: JudgeContext): Verdict | undefined {
  if (a.status !== null && a.status >= 300 && a.status < 400) {
    return {
      status: 'warn',
      outcome: outcomeOf(a),
      explain: 'Proves nothing: the answer was a redirect.',
      link: GUIDE.check,
    };
  }
  if (!accepted(ctx.baseline)) {
    return {
      status: 'warn',
      outcome: outcomeOf(a),
      explain: `Proves nothing: the valid ${probe.event} delivery was refused too.`,
      link: GUIDE.check,
    };
  }
  return undefined;
}

const RAW_BODY_SNIPPET = [
  "const raw = express.raw({ type: 'application/json' }); // exact bytes",
  "app.post('/webhooks/v2k', raw, (req, res) => {",
  '  const v = verify({ payload: req.body, headers: req.headers, secret });',
  '  if (!v.ok) return res.status(401).send(v.message);',
  '  const event = JSON.parse(req.body); // parse only after verifying',
];

function reserialized(probe: Probe, a: Answer, ctx: JudgeContext): Verdict {
  const outcome = outcomeOf(a);
  if (accepted(a)) {
    return {
      status: 'pass',
      outcome,
      explain: `It accepted a correctly signed body written differently from JSON.stringify: it verifies the bytes it received.`,
      link: GUIDE.verifying,
    };
  }
  const inconclusive = inconclusiveUnlessBaseline(probe, a, ctx);
  if (inconclusive) return inconclusive;
  if (a.status === null || (a.status >= 300 && a.status < 400))
    return { status: 'fail', outcome, ...failedDelivery(probe, a, ctx) };
  return {
    status: 'fail',
    outcome,
    explain: `It ${a.status < 500 ? 'refused' : 'failed on'} a correctly signed delivery with ${a.status}${saying(a)}; its bytes differ from what JSON.stringify(JSON.parse(body)) writes (indented, 1.50 for 1.5, timestamp first, \\u005f escapes). Your receiver verifies a re-serialized body, as the platform guide's Express example does with JSON.stringify(req.body): one byte written differently by the sender, a proxy or a framework, and every delivery fails.`,
    fix: 'Verify the exact bytes you received, then parse them. Express, with verify() from v2k-webhooks:',
    snippet: RAW_BODY_SNIPPET,
    link: GUIDE.verifying,
  };
}

function duplicate(probe: Probe, first: Answer, second: Answer | undefined, ctx: JudgeContext): Verdict {
  if (!accepted(first) || second === undefined) {
    const inconclusive = inconclusiveUnlessBaseline(probe, first, ctx);
    if (inconclusive) return inconclusive;
    return { status: 'fail', outcome: outcomeOf(first), ...failedDelivery(probe, first, ctx) };
  }
  const outcome = `${outcomeOf(first)}, then ${outcomeOf(second)}`;
  if (accepted(second)) {
    return {
      status: 'pass',
      outcome,
      explain: 'Both answered 2xx, as they must.',
      fix: 'The platform delivers at least once: deduplicate on webhook-id (the event id, also X-V2K-Event-Id) so a second delivery does no work twice; the check cannot see whether yours does.',
      link: GUIDE.check,
    };
  }
  if (second.failure === 'timeout' || second.status === null) {
    return { status: 'fail', outcome, ...failedDelivery(probe, second, ctx) };
  }
  return {
    status: 'fail',
    outcome,
    explain: `It accepted a delivery, then answered ${second.status}${saying(second)} to the same one sent again (same webhook-id). The platform sends an event again after a lost answer, a timeout or a restart; it counts anything but 2xx as a failure and ${RETRY_RULES}.`,
    fix: 'Remember the webhook-id values you processed; answer 2xx to one you have seen, without doing the work again.',
    link: GUIDE.check,
  };
}
