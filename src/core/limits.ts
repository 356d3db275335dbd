/** The body cap of SPEC §3 (over it: 413), used by the dispatcher, the listener and the demo app alike. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** At most this many webhooks per user (SPEC §4): the dispatcher enforces it, the CLI's messages quote it. */
export const MAX_WEBHOOKS_PER_USER = 10;

/** A webhook's description: at most this many characters (SPEC is silent): one rule for the dispatcher and the CLI. */
export const MAX_DESCRIPTION_LENGTH = 500;

/** `GET …/deliveries?limit=`: from 1 to this many, 20 when not given. */
export const MAX_DELIVERY_LIMIT = 100;
export const DEFAULT_DELIVERY_LIMIT = 20;

/**
 * Most bytes of request bodies the dispatcher, or `listen`, holds in memory at once, all
 * requests together (issue 16): 16 bodies at the cap, tens of thousands of ordinary deliveries.
 * Measured with 400 senders of 1 MiB bodies against `listen`: peak RSS 130-145 MB at 2 MiB,
 * 150-160 MB at 16 MiB, 150-220 MB at 32 MiB (what refused bodies cost to read and drop is the floor).
 * A body that does not fit is answered 503 with Retry-After instead of being held.
 */
export const BODY_MEMORY_BUDGET_BYTES = 16 * MAX_BODY_BYTES;
/** The Retry-After (seconds) of that 503. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** The longest delay a Node timer holds (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The highest TCP port; 0 asks the system for a free one. */
export const MAX_PORT = 65_535;

/** A port the dispatcher or `listen` can bind: a whole number from 0 to MAX_PORT. */
export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_PORT;
}
