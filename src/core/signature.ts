import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { newId } from './ids.js';

/** The body exactly as it came off the wire. Never a parsed-and-reserialized object. */
export type RawPayload = string | Uint8Array;

/** Header bag as Node (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object gives it. */
export type HeaderSource = Record<string, string | string[] | undefined> | { get(name: string): string | null };

export const SECRET_PREFIX = 'whsec_';
const HEX_64 = /^[0-9a-f]{64}$/;
const STANDARD_V1 = /^v1,[A-Za-z0-9+/]{43}=$/;
export const DEFAULT_TOLERANCE_SECONDS = 300;

export const HEADER = {
  signature: 'x-v2k-signature',
  event: 'x-v2k-event',
  delivery: 'x-v2k-delivery',
  eventId: 'x-v2k-event-id',
  attempt: 'x-v2k-attempt',
  webhookId: 'webhook-id',
  webhookTimestamp: 'webhook-timestamp',
  webhookSignature: 'webhook-signature',
} as const;

/** The five verdicts of SPEC §5 (`listen`), as codes. */
export type VerifyReason = 'verified' | 'bad_signature' | 'no_signature' | 'no_secret' | 'stale_timestamp';

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

export interface VerifyOptions {
  /** The raw request body. */
  payload: RawPayload;
  /** One secret, or several during a rotation: any one matching is enough. */
  secret: string | readonly string[] | undefined;
  /** The request's headers; X-V2K-Signature and the Standard Webhooks trio are read from here. */
  headers?: HeaderSource;
  /** An X-V2K-Signature value given directly (takes the place of the header). */
  signature?: string;
  /** Maximum age or skew of `webhook-timestamp`, in seconds. Default 300; must be > 0. */
  toleranceSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** Makes a new secret: `whsec_` + base64 of 24 random bytes (SPEC §2). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/** X-V2K-Signature: lowercase hex HMAC-SHA256 of the exact bytes, keyed with the whole secret as UTF-8. */
export function sign(payload: RawPayload, secret: string): string {
  return createHmac('sha256', v2kKey(secret)).update(payload).digest('hex');
}

export interface StandardSignOptions {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  payload: RawPayload;
  secret: string;
}

/** Standard Webhooks `webhook-signature`: `v1,` + base64 HMAC over `id.timestamp.body`. */
export function signStandard({ id, timestamp, payload, secret }: StandardSignOptions): string {
  return `v1,${standardMac(secret, id, timestamp, payload).digest('base64')}`;
}

/** HMAC over `id.timestamp.body`; a string body goes in one update (one trip into the hash, not two). */
function standardMac(secret: string, id: string, timestamp: number | string, payload: RawPayload) {
  const mac = createHmac('sha256', standardKey(secret));
  return typeof payload === 'string'
    ? mac.update(`${id}.${timestamp}.${payload}`)
    : mac.update(`${id}.${timestamp}.`).update(payload);
}

export interface TestHeadersOptions {
  payload: RawPayload;
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Delivery id; default a fresh `dlv_…`. */
  deliveryId?: string;
  /** Event id; default a fresh `evt_…`. */
  eventId?: string;
  /** Event type; default read from the payload's `event` field, else `test`. */
  event?: string;
  attempt?: number;
  userAgent?: string;
}

export type DeliveryHeaderOptions = Required<TestHeadersOptions>;

/** Every header of one delivery attempt (SPEC §2), signed with both schemes: what the dispatcher sends. */
export function deliveryHeaders(o: DeliveryHeaderOptions): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': o.userAgent,
    [HEADER.event]: o.event,
    [HEADER.signature]: sign(o.payload, o.secret),
    [HEADER.delivery]: o.deliveryId,
    [HEADER.eventId]: o.eventId,
    [HEADER.attempt]: String(o.attempt),
    [HEADER.webhookId]: o.deliveryId,
    [HEADER.webhookTimestamp]: String(o.timestamp),
    [HEADER.webhookSignature]: signStandard({
      id: o.deliveryId,
      timestamp: o.timestamp,
      payload: o.payload,
      secret: o.secret,
    }),
  };
}

/**
 * The headers of a real delivery for a payload of your own, with fresh ids and the current time
 * unless given. Use it in tests instead of signing by hand.
 */
export function generateTestHeaders(options: TestHeadersOptions): Record<string, string> {
  return deliveryHeaders({
    payload: options.payload,
    secret: options.secret,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    deliveryId: options.deliveryId ?? newId('dlv'),
    eventId: options.eventId ?? newId('evt'),
    event: options.event ?? eventOf(options.payload) ?? 'test',
    attempt: options.attempt ?? 1,
    userAgent: options.userAgent ?? 'V2K-Webhooks/test',
  });
}

/**
 * Checks a delivery's signatures on the raw body. Never throws: malformed input gives a
 * false verdict with a reason. Every scheme present must pass; with Standard Webhooks
 * headers the timestamp must also be within the tolerance.
 */
export function verify(options: VerifyOptions): VerifyResult {
  if (typeof options !== 'object' || options === null)
    return fail('no_signature', 'verify() takes an options object: { payload, headers, secret }.');
  if (options.signature !== undefined && typeof options.signature !== 'string') {
    return fail('bad_signature', 'The signature must be a string, as sent in the X-V2K-Signature header.');
  }
  const secrets = normalizeSecrets(options.secret);
  const v2kSignature = options.signature ?? readHeader(options.headers, HEADER.signature);
  const standardSignature = readHeader(options.headers, HEADER.webhookSignature);
  const hasStandard = standardSignature !== undefined;
  const standard = {
    signature: standardSignature,
    id: hasStandard ? readHeader(options.headers, HEADER.webhookId) : undefined,
    timestamp: hasStandard ? readHeader(options.headers, HEADER.webhookTimestamp) : undefined,
  };

  if (v2kSignature === undefined && !hasStandard) {
    return fail('no_signature', 'No X-V2K-Signature or webhook-signature header was sent.');
  }
  if (secrets.length === 0) {
    return fail('no_secret', 'No secret to verify with. Pass --secret or set V2K_WEBHOOK_SECRET.');
  }
  if (typeof options.payload !== 'string' && !(options.payload instanceof Uint8Array)) {
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
  const body = options.payload;
  const schemes: VerifyResult['schemes'] = [];
  let secretIndex: number | undefined;

  if (hasStandard) {
    const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
    const stamp = standard.timestamp ?? '';
    if (!/^\d{1,12}$/.test(stamp)) {
      return fail('stale_timestamp', `webhook-timestamp ${JSON.stringify(stamp)} is not a Unix time in seconds.`);
    }
    const skew = Math.abs(nowSeconds - Number(stamp));
    if (!(tolerance > 0) || skew > tolerance) {
      return fail(
        'stale_timestamp',
        `webhook-timestamp is ${skew} s away from now (tolerance ${tolerance} s). Is the clock right, or is this a replay?`,
      );
    }
    if (!standard.id) return fail('bad_signature', 'webhook-signature was sent without webhook-id.');
    const match = matchStandard(standard.signature ?? '', standard.id, stamp, body, secrets);
    if (match === -1) return fail('bad_signature', noMatchMessage('webhook-signature'));
    schemes.push('standard');
    secretIndex = match;
  }

  if (v2kSignature !== undefined) {
    // Compared as lowercase hex text rather than decoded bytes: the same constant-time check,
    // without a hex decode and a regular expression on every delivery.
    const provided = v2kSignature.trim().toLowerCase();
    if (provided.length !== 64 || !HEX_64.test(provided)) {
      return fail('bad_signature', `X-V2K-Signature is not 64 hex characters (got ${describe(v2kSignature)}).`);
    }
    const match = firstMatch(secrets, (secret) => sign(body, secret), [provided]);
    if (match === -1) return fail('bad_signature', noMatchMessage('X-V2K-Signature'));
    schemes.push('v2k');
    secretIndex ??= match;
  }

  return { ok: true, reason: 'verified', message: 'Signature verified.', schemes, secretIndex };
}

function matchStandard(header: string, id: string, timestamp: string, body: RawPayload, secrets: string[]): number {
  // Usually one signature; a space-separated list while the sender rotates its own key.
  const candidates = (header.includes(' ') ? header.split(' ') : [header])
    .filter((part) => STANDARD_V1.test(part))
    .map((part) => part.slice(3));
  if (candidates.length === 0) return -1;
  return firstMatch(secrets, (secret) => standardMac(secret, id, timestamp, body).digest('base64'), candidates);
}

/** Index of the first secret whose MAC equals one candidate, compared in constant time; -1 if none. */
function firstMatch(secrets: string[], macOf: (secret: string) => string, candidates: string[]): number {
  let found = -1;
  // Every secret and candidate is checked, so the time taken does not tell which one matched.
  for (let i = 0; i < secrets.length; i++) {
    const expected = macOf(secrets[i] as string);
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

// A receiver verifies every delivery with the same few secrets, and the dispatcher signs with
// each webhook's: turn each secret into a key object once. Node's HMAC starts faster from a key
// object than from a string it must encode on every call (about 8 % per HMAC, measured alone).
const KEY_CACHE_SIZE = 1024;
const v2kKeys = new Map<string, KeyObject>();
const standardKeys = new Map<string, KeyObject>();

/** X-V2K-Signature's key: the whole secret as UTF-8. */
function v2kKey(secret: string): KeyObject {
  return cachedKey(v2kKeys, secret, () => Buffer.from(secret, 'utf8'));
}

/** Standard Webhooks' key: the bytes the base64 after `whsec_` encodes. */
function standardKey(secret: string): KeyObject {
  return cachedKey(standardKeys, secret, () =>
    Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'),
  );
}

function cachedKey(cache: Map<string, KeyObject>, secret: string, bytes: () => Buffer): KeyObject {
  let key = cache.get(secret);
  if (key === undefined) {
    key = createSecretKey(bytes());
    if (cache.size >= KEY_CACHE_SIZE) cache.clear();
    cache.set(secret, key);
  }
  return key;
}

function normalizeSecrets(secret: VerifyOptions['secret']): string[] {
  if (typeof secret === 'string') return secret.length > 0 ? [secret] : [];
  const list: readonly unknown[] = Array.isArray(secret) ? secret : [];
  return list.filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** Reads one header case-insensitively; several values are joined with a NUL so they are spotted as duplicates. */
function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value: unknown = (headers as { get(name: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    // Node lowercases header names; a hand-built object may not. Length first: no allocation per key.
    for (const key in record) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) return value.length === 1 ? value[0] : value.join('\0');
  return typeof value === 'string' ? value : undefined;
}

function isDuplicated(value: string | undefined): boolean {
  return value !== undefined && value.includes('\0');
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

function eventOf(payload: RawPayload): string | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
    const event = (parsed as { event?: unknown } | null)?.event;
    return typeof event === 'string' ? event : undefined;
  } catch {
    return undefined; // not JSON: the caller names the event, or it is `test`
  }
}
