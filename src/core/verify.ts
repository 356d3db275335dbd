import { timingSafeEqual } from 'node:crypto';
import { formatDuration } from './duration.js';
import { ExitCode, V2kError } from './errors.js';
import { readSecret, secretName, SecretError, standardMac, v2kMac, type SigningKeys } from './secret.js';
import { HEADER, isDuplicated, readHeader, standardSignatures, type HeaderSource } from './signature-headers.js';
import type { RawPayload } from './signature.js';

const HEX_64 = /^[0-9a-f]{64}$/;
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * The verdicts of SPEC §5 (`listen`) as codes, plus two that blame the caller's own options
 * rather than the delivery: `invalid_secret` (a secret anyone could sign with) and
 * `invalid_tolerance` (a `toleranceSeconds` that is not a number above 0).
 */
export type VerifyReason =
  | 'verified'
  | 'bad_signature'
  | 'no_signature'
  | 'no_secret'
  | 'stale_timestamp'
  | 'invalid_secret'
  | 'invalid_tolerance';

export interface VerifyResult {
  ok: boolean;
  reason: VerifyReason;
  /** A sentence for the person debugging: what failed and what to check. */
  message: string;
  /** Which schemes were checked and passed. */
  schemes: Array<'v2k' | 'standard'>;
  /** Index of the secret that matched, when one did (rotation). */
  secretIndex?: number;
}

/** One delivery to check: its raw body and its headers. */
export interface VerifyRequest {
  /** The raw request body. */
  payload: RawPayload;
  /** The request's headers; X-V2K-Signature and the Standard Webhooks trio are read from here. */
  headers?: HeaderSource;
  /** An X-V2K-Signature value given directly (takes the place of the header). */
  signature?: string;
}

export interface VerifyOptions extends VerifyRequest {
  /**
   * One secret, or several during a rotation: any one matching is enough. Every one must be
   * usable: an empty one, `whsec_` alone, or one that decodes to no key bytes refuses the call.
   */
  secret: string | readonly string[] | undefined;
  /**
   * Maximum age or skew of `webhook-timestamp`, in seconds: a finite number above 0. Default
   * (undefined) 300. Anything else — `null`, `0`, a negative, `NaN`, `Infinity`, a string —
   * gives the verdict `invalid_tolerance` rather than a silent default.
   */
  toleranceSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export interface VerifierOptions {
  /** One secret, or several during a rotation; none gives every delivery the verdict `no_secret`. */
  secrets?: string | readonly string[];
  /** As in `verify()`: a finite number of seconds above 0, default 300. */
  toleranceSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** A verifier bound to its secrets, their keys decoded once. */
export interface Verifier {
  /** Same verdicts as `verify()`, and likewise never throws. */
  verify(request: VerifyRequest): VerifyResult;
  /** How many secrets it checks with. */
  readonly secretCount: number;
}

/**
 * A verifier bound to its secrets (rotation: several), their keys decoded once — the shape to
 * use for a receiver that checks many deliveries. Throws SecretError when a secret cannot be used
 * (empty, `whsec_` alone, not base64, no key bytes): a bad one among good ones is refused too,
 * since a typo in a rotation list would otherwise only show when the old secret is retired.
 * Throws a V2kError `invalid_tolerance` for a `toleranceSeconds` that is not a number above 0.
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const ring = readKeyRing(options.secrets);
  if (typeof ring === 'string') throw new SecretError(ring);
  const tolerance = readTolerance(options.toleranceSeconds);
  if (typeof tolerance === 'string')
    throw new V2kError(tolerance, {
      code: 'invalid_tolerance',
      exitCode: ExitCode.USAGE,
      hint: `Leave it out for the default ${DEFAULT_TOLERANCE_SECONDS} s.`,
    });
  const now = options.now ?? Date.now;
  return {
    verify: (request) =>
      typeof request === 'object' && request !== null
        ? check(ring, tolerance, now, request)
        : fail('no_signature', 'verify() takes the delivery: { payload, headers }.'),
    secretCount: ring.length,
  };
}

/**
 * Checks a delivery's signatures on the raw body. Never throws: malformed input gives a
 * false verdict with a reason. Every scheme present must pass; with Standard Webhooks
 * headers the timestamp must also be within the tolerance. A secret anyone could sign with,
 * or a tolerance that is not a number above 0, gives a false verdict whatever the delivery.
 */
export function verify(options: VerifyOptions): VerifyResult {
  if (typeof options !== 'object' || options === null)
    return fail('no_signature', 'verify() takes an options object: { payload, headers, secret }.');
  const ring = recentKeyRing(options.secret);
  if (typeof ring === 'string') return fail('invalid_secret', ring);
  const tolerance = readTolerance(options.toleranceSeconds);
  if (typeof tolerance === 'string') return fail('invalid_tolerance', tolerance);
  return check(ring, tolerance, typeof options.now === 'function' ? options.now : Date.now, options);
}

/** Each usable secret's keys, in order. */
type KeyRing = readonly SigningKeys[];

/** The keys of every secret, or a sentence naming the first one that cannot be used. */
function readKeyRing(secret: unknown): KeyRing | string {
  if (secret === undefined || secret === null) return [];
  const list: readonly unknown[] = Array.isArray(secret) ? secret : [secret];
  const ring: SigningKeys[] = [];
  for (let i = 0; i < list.length; i++) {
    const keys = readSecret(list[i], secretName(i, list.length));
    if (typeof keys === 'string') return keys;
    ring.push(keys);
  }
  return ring;
}

// A receiver calls verify() with the same secret on every delivery; checking and decoding it each
// time cost verify() about a fifth of its speed. So the keys of the last secret (or rotation list)
// it saw are kept for the next call: one entry, replaced when the secret changes, never grown.
// createVerifier() holds its own keys and uses none of this.
let recent: { secret: string | readonly unknown[]; ring: KeyRing } | undefined;

function recentKeyRing(secret: unknown): KeyRing | string {
  // Plain comparisons: both sides are the caller's own configuration, never the sender's input.
  if (recent !== undefined && sameSecret(recent.secret, secret)) return recent.ring;
  const ring = readKeyRing(secret);
  if (typeof ring === 'string') return ring;
  if (typeof secret === 'string') recent = { secret, ring };
  else if (Array.isArray(secret)) recent = { secret: [...(secret as unknown[])], ring };
  return ring;
}

function sameSecret(kept: string | readonly unknown[], given: unknown): boolean {
  if (typeof kept === 'string' || typeof given === 'string') return kept === given;
  if (!Array.isArray(given) || given.length !== kept.length) return false;
  for (let i = 0; i < kept.length; i++) if (kept[i] !== given[i]) return false;
  return true;
}

function readTolerance(value: unknown): number | string {
  if (value === undefined) return DEFAULT_TOLERANCE_SECONDS;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  const shown = typeof value === 'number' || value === null ? String(value) : `a ${typeof value}`;
  return `toleranceSeconds must be a number of seconds above 0 (got ${shown}); leave it out for the default ${DEFAULT_TOLERANCE_SECONDS}.`;
}

function check(ring: KeyRing, tolerance: number, now: () => number, request: VerifyRequest): VerifyResult {
  if (request.signature !== undefined && typeof request.signature !== 'string') {
    return fail('bad_signature', 'The signature must be a string, as sent in the X-V2K-Signature header.');
  }
  const v2kSignature = request.signature ?? readHeader(request.headers, HEADER.signature);
  const standardSignature = readHeader(request.headers, HEADER.webhookSignature);
  const hasStandard = standardSignature !== undefined;
  const standard = {
    signature: standardSignature,
    id: hasStandard ? readHeader(request.headers, HEADER.webhookId) : undefined,
    timestamp: hasStandard ? readHeader(request.headers, HEADER.webhookTimestamp) : undefined,
  };

  if (v2kSignature === undefined && !hasStandard) {
    return fail('no_signature', 'No X-V2K-Signature or webhook-signature header was sent.');
  }
  if (ring.length === 0) {
    return fail('no_secret', 'No secret to verify with. Pass --secret or set V2K_WEBHOOK_SECRET.');
  }
  if (typeof request.payload !== 'string' && !(request.payload instanceof Uint8Array)) {
    return fail(
      'bad_signature',
      'The payload must be the raw body (string or Buffer); a parsed object cannot be verified.',
    );
  }
  if (
    isDuplicated(v2kSignature) ||
    isDuplicated(standard.signature) ||
    isDuplicated(standard.timestamp) ||
    isDuplicated(standard.id)
  ) {
    return fail('bad_signature', 'A signature header was sent more than once.');
  }
  // Hashed as given: a string goes to the HMAC as UTF-8 without first being copied to a Buffer.
  const body = request.payload;
  const schemes: VerifyResult['schemes'] = [];
  let secretIndex: number | undefined;

  if (hasStandard) {
    const nowSeconds = Math.floor(now() / 1000);
    const stamp = standard.timestamp ?? '';
    if (!/^\d{1,12}$/.test(stamp)) {
      return fail('stale_timestamp', `webhook-timestamp ${JSON.stringify(stamp)} is not a Unix time in seconds.`);
    }
    const skew = Math.abs(nowSeconds - Number(stamp));
    if (skew > tolerance) {
      return fail(
        'stale_timestamp',
        `webhook-timestamp is ${formatDuration(skew * 1000)} away from now (tolerance ${formatDuration(tolerance * 1000)}). Is the clock right, or is this a replay?`,
      );
    }
    if (!standard.id) return fail('bad_signature', 'webhook-signature was sent without webhook-id.');
    const candidates = standardSignatures(standard.signature ?? '');
    if (candidates.length === 0) {
      return fail(
        'bad_signature',
        'webhook-signature holds no v1,… signature (space-separated `v1,<base64>` entries; other versions are skipped).',
      );
    }
    const { id } = standard;
    const match = firstMatch(ring, (keys) => standardMac(keys.standard, id, stamp, body), candidates);
    if (match === -1) return fail('bad_signature', noMatchMessage('webhook-signature'));
    schemes.push('standard');
    secretIndex = match;
  }

  if (v2kSignature !== undefined) {
    // Compared as lowercase hex text rather than decoded bytes: the same constant-time check,
    // without a hex decode on every delivery.
    const provided = v2kSignature.trim().toLowerCase();
    if (provided.length !== 64 || !HEX_64.test(provided)) {
      return fail('bad_signature', `X-V2K-Signature is not 64 hex characters (got ${describe(v2kSignature)}).`);
    }
    const match = firstMatch(ring, (keys) => v2kMac(keys, body), [provided]);
    if (match === -1) return fail('bad_signature', noMatchMessage('X-V2K-Signature'));
    schemes.push('v2k');
    secretIndex ??= match;
  }

  return { ok: true, reason: 'verified', message: 'Signature verified.', schemes, secretIndex };
}

/** Index of the first secret whose MAC equals one candidate, compared in constant time; -1 if none. */
function firstMatch(ring: KeyRing, macOf: (keys: SigningKeys) => string, candidates: string[]): number {
  let found = -1;
  // Every secret and candidate is checked, so the time taken does not tell which one matched.
  for (let i = 0; i < ring.length; i++) {
    const expected = macOf(ring[i] as SigningKeys);
    for (const candidate of candidates) {
      if (equalAscii(candidate, expected) && found === -1) found = i;
    }
  }
  return found;
}

// verify() runs to the end synchronously, so one pair of scratch buffers per length (44 for
// base64, 64 for hex) serves every call: no allocation per comparison.
const scratch = new Map<number, [Buffer, Buffer]>();

/**
 * Constant-time equality of two ASCII strings (callers check the character set first). The
 * length is public; the contents are compared with `timingSafeEqual`.
 */
function equalAscii(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let pair = scratch.get(a.length);
  if (pair === undefined) {
    pair = [Buffer.alloc(a.length), Buffer.alloc(a.length)];
    scratch.set(a.length, pair);
  }
  pair[0].write(a, 'latin1');
  pair[1].write(b, 'latin1');
  return timingSafeEqual(pair[0], pair[1]);
}

function noMatchMessage(header: string): string {
  return `${header} matched none of the secrets. Are you verifying the raw request body, byte for byte? Is this the secret of this webhook?`;
}

function describe(value: string): string {
  if (value.length === 0) return 'an empty value';
  return value.trim().length === 64 ? '64 characters, not all of them hex digits' : `${value.length} characters`;
}

function fail(reason: VerifyReason, message: string): VerifyResult {
  return { ok: false, reason, message, schemes: [] };
}
