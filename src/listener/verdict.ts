import type { IncomingHttpHeaders } from 'node:http';
import { jsonStartError } from '../core/json-start.js';
import { clip, printable } from '../core/printable.js';
import { createVerifier, HEADER, type Verifier } from '../core/signature.js';
import type { Verdict, VerdictReason } from './types.js';

const LABELS: Record<VerdictReason, string> = {
  verified: 'verified',
  bad_signature: 'bad signature',
  no_signature: 'no signature',
  no_secret: 'no secret',
  stale_timestamp: 'stale timestamp',
  invalid_secret: 'invalid secret',
  invalid_tolerance: 'invalid tolerance',
  header_mismatch: 'header mismatch',
};

/** What the listener takes from one delivery, the signed body first. */
export interface CheckedDelivery {
  verdict: Verdict;
  /** The body's `event` field: the only event type `listen` uses (SPEC §2). */
  event: string | undefined;
  /** The parsed body, or undefined when it is not JSON. */
  payload: unknown;
}

export interface DeliveryChecker {
  check(body: Buffer, headers: IncomingHttpHeaders): CheckedDelivery;
  /** Verifies with one more secret from now on; throws SecretError for one anyone could sign with. */
  addSecret(secret: string): void;
}

export interface CheckerOptions {
  secrets: readonly string[];
  toleranceSeconds?: number;
  now?: () => number;
}

/**
 * The verify step of `listen`: the signature on the raw bytes (SPEC §2), then the type from the
 * body those bytes hold. Neither signature covers X-V2K-Event, so it is never used: one that
 * disagrees with the body makes the verdict `header mismatch` (issue 14). Throws SecretError at
 * start for a secret that cannot be used.
 */
export function createDeliveryChecker(options: CheckerOptions): DeliveryChecker {
  let secrets = [...options.secrets];
  let verifier: Verifier = createVerifier({ ...options, secrets });
  return {
    check(body, headers) {
      const result = verifier.verify({ payload: body, headers });
      const payload = parseJson(body);
      const event = stringField(payload, 'event');
      const claimed = headers[HEADER.event];
      const signature: Verdict = {
        ok: result.ok,
        reason: result.reason,
        label: LABELS[result.reason],
        message: result.message,
        signature: result.reason,
      };
      // A body that names no type (not JSON, no `event`) leaves the event null; the header is ignored all the same.
      if (event === undefined || typeof claimed !== 'string' || claimed === event)
        return { verdict: signature, event, payload };
      const message =
        `X-V2K-Event says ${quote(claimed)} but the ${result.ok ? 'signed ' : ''}body's event is ${quote(event)}. ` +
        `No signature covers that header: it is ignored, and the body's type used.` +
        (result.ok ? '' : ` The body is not verified either: ${result.message}`);
      const verdict: Verdict = {
        ok: false,
        reason: 'header_mismatch',
        label: result.ok ? LABELS.header_mismatch : `${LABELS.header_mismatch}, ${LABELS[result.reason]}`,
        message,
        signature: result.reason,
        headerEvent: claimed,
      };
      return { verdict, event, payload };
    },
    addSecret(secret) {
      if (secrets.includes(secret)) return;
      const next = [...secrets, secret];
      verifier = createVerifier({ ...options, secrets: next });
      secrets = next;
    },
  };
}

/** A sender's text inside a message: clipped, quoted, and with no control character left to reach a terminal. */
function quote(text: string): string {
  return printable(JSON.stringify(clip(text, 80)));
}

function parseJson(body: Buffer): unknown {
  if (jsonStartError(body) !== undefined) return undefined; // not JSON, and not decoded to find out
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined; // not JSON: shown without a summary, still forwarded untouched
  }
}

function stringField(value: unknown, field: string): string | undefined {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}
