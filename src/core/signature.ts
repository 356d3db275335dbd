import { newId } from './ids.js';
import { secretKeys, standardMac, v2kMac } from './secret.js';
import { HEADER } from './signature-headers.js';

// The public face of signatures: signing here, and everything the library exports about them.
export { generateSecret, SecretError, SECRET_PREFIX } from './secret.js';
export { HEADER, signatureHeaderOf, standardSignatures, type HeaderSource } from './signature-headers.js';
export {
  createVerifier,
  verify,
  DEFAULT_TOLERANCE_SECONDS,
  type Verifier,
  type VerifierOptions,
  type VerifyOptions,
  type VerifyReason,
  type VerifyRequest,
  type VerifyResult,
} from './verify.js';

/** The body exactly as it came off the wire. Never a parsed-and-reserialized object. */
export type RawPayload = string | Uint8Array;

/** X-V2K-Signature: lowercase hex HMAC-SHA256 of the exact bytes, keyed with the whole secret as UTF-8. Throws SecretError for an unusable secret. */
export function sign(payload: RawPayload, secret: string): string {
  return v2kMac(secretKeys(secret), payload);
}

export interface StandardSignOptions {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  payload: RawPayload;
  secret: string;
}

/** Standard Webhooks `webhook-signature`: `v1,` + base64 HMAC over `id.timestamp.body`. Throws SecretError for an unusable secret. */
export function signStandard({ id, timestamp, payload, secret }: StandardSignOptions): string {
  return `v1,${standardMac(secretKeys(secret).standard, id, timestamp, payload)}`;
}

export interface TestHeadersOptions {
  payload: RawPayload;
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Delivery id; default a fresh `dlv_…`. */
  deliveryId?: string;
  /** Event id, also sent as `webhook-id`; default a fresh `evt_…`. */
  eventId?: string;
  /** Event type; default read from the payload's `event` field, else `test`. */
  event?: string;
  attempt?: number;
  userAgent?: string;
}

export type DeliveryHeaderOptions = Required<TestHeadersOptions>;

/**
 * Every header of one delivery attempt (SPEC §2), signed with both schemes: what the dispatcher
 * sends. `webhook-id` is the event id, so it stays the same across retries and redeliveries (a
 * Standard Webhooks receiver dedupes on it); `X-V2K-Delivery` names this one delivery.
 */
export function deliveryHeaders(o: DeliveryHeaderOptions): Record<string, string> {
  const keys = secretKeys(o.secret);
  return {
    'content-type': 'application/json',
    'user-agent': o.userAgent,
    [HEADER.event]: o.event,
    [HEADER.signature]: v2kMac(keys, o.payload),
    [HEADER.delivery]: o.deliveryId,
    [HEADER.eventId]: o.eventId,
    [HEADER.attempt]: String(o.attempt),
    [HEADER.webhookId]: o.eventId,
    [HEADER.webhookTimestamp]: String(o.timestamp),
    [HEADER.webhookSignature]: `v1,${standardMac(keys.standard, o.eventId, o.timestamp, o.payload)}`,
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

function eventOf(payload: RawPayload): string | undefined {
  try {
    const parsed: unknown = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
    const event = (parsed as { event?: unknown } | null)?.event;
    return typeof event === 'string' ? event : undefined;
  } catch {
    return undefined; // not JSON: the caller names the event, or it is `test`
  }
}
