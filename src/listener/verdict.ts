import { verify, type HeaderSource } from '../core/signature.js';
import type { Verdict } from './types.js';

const LABELS = {
  verified: 'verified',
  bad_signature: 'bad signature',
  no_signature: 'no signature',
  no_secret: 'no secret',
  stale_timestamp: 'stale timestamp',
  invalid_secret: 'invalid secret',
  invalid_tolerance: 'invalid tolerance',
} as const;

export interface CheckOptions {
  body: Buffer;
  headers: HeaderSource;
  secrets: readonly string[];
  toleranceSeconds?: number;
  now?: () => number;
}

/** The verdict of SPEC §2 on the raw bytes, before anything parses them. */
export function checkDelivery({ body, headers, secrets, toleranceSeconds, now }: CheckOptions): Verdict {
  const result = verify({ payload: body, headers, secret: secrets, toleranceSeconds, now });
  return { ok: result.ok, reason: result.reason, label: LABELS[result.reason], message: result.message };
}
