import type { VerifyReason } from '../core/signature.js';

/** Where the listener reports what is not an event: a rejected body, a record file that failed. */
export interface ListenerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The signature's verdict, or `header_mismatch` when X-V2K-Event disagrees with the body (issue 14). */
export type VerdictReason = VerifyReason | 'header_mismatch';

export interface Verdict {
  /** The signature verified and no header contradicts the signed body. */
  ok: boolean;
  reason: VerdictReason;
  /**
   * `verified`, `bad signature`, `no signature`, `no secret`, `stale timestamp` (SPEC §5);
   * `header mismatch` (with the signature's label after a comma when that failed too).
   */
  label: string;
  /** What failed and what to check. */
  message: string;
  /** What the signature check alone said: the same as `reason` unless that is `header_mismatch`. */
  signature: VerifyReason;
  /** The X-V2K-Event value the sender claimed, when it disagrees with the body; never used. */
  headerEvent?: string;
}

/** What one forward to one target gave. */
export interface ForwardResult {
  /** The target URL. */
  url: string;
  /** The app's HTTP status; null when it did not answer (unreachable, too slow). */
  status: number | null;
  ms: number;
  /** Set when the app did not answer: `unreachable` (→ 502) or `timeout` (→ 504), with details. */
  error?: { kind: 'unreachable' | 'timeout' | 'too_large'; message: string };
  /** Whether this target's answer went back to the sender (the first matching target's does). */
  answered: boolean;
}

/** One delivery the listener received, verified and forwarded: what `onEvent` gets and `--json` prints. */
export interface ListenerEvent {
  type: 'event';
  receivedAt: string;
  method: string;
  path: string;
  /**
   * The body's `event` field — covered by the signature — or null. X-V2K-Event is never used:
   * one that disagrees makes the verdict `header_mismatch`. Next to a verdict that is not
   * `verified`, it is only what the (unverified) body claims.
   */
  event: string | null;
  eventId: string | null;
  deliveryId: string | null;
  attempt: number | null;
  verdict: Verdict;
  /** A one-line summary of the data, chosen per event type. */
  summary: string;
  bytes: number;
  /** The parsed body, or null when it is not JSON. */
  payload: unknown;
  forwards: ForwardResult[];
  /** The status the sender got. */
  status: number;
}

export interface ListenerOptions {
  /** Default 4001 (SPEC §5); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the relay is for this machine unless asked otherwise. */
  host?: string;
  /** TARGETs as in SPEC §5: `localhost:3000`, a URL, or `pattern=URL`. */
  forward?: string[];
  /**
   * Secrets to verify with; any one matching is enough (rotation). createListener throws
   * SecretError for one that is empty, `whsec_` alone or decodes to no key bytes.
   */
  secrets?: string[];
  /** Answer 401 and forward nothing when the verdict is not `verified` (a header mismatch included). */
  rejectInvalid?: boolean;
  /** Append one JSON line per delivery (headers, raw body, verdict) to this file. */
  record?: string;
  /** How long an app may take to answer before the sender gets 504. Default 10 000. */
  forwardTimeoutMs?: number;
  /** A sender must have sent its whole request (headers and body) within this, or gets 408 and is cut off. Default 10 000. */
  requestTimeoutMs?: number;
  /** Timestamp tolerance of Standard Webhooks headers, in seconds above 0. Default 300. */
  toleranceSeconds?: number;
  /** Called once per delivery, after every forward finished. */
  onEvent?: (event: ListenerEvent) => void;
  logger?: ListenerLogger;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export interface Listener {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  /** Verifies with one more secret from now on, e.g. the one `--register` got back from the API; throws SecretError for an unusable one. */
  addSecret(secret: string): void;
  /** Stops accepting, waits for deliveries in flight, closes the record file and the connection pool. */
  close(): Promise<void>;
}
