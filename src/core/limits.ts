/** The body cap of SPEC §3 (over it: 413), used by the dispatcher, the listener and the demo app alike. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** At most this many webhooks per user (SPEC §4): the dispatcher enforces it, the CLI's messages quote it. */
export const MAX_WEBHOOKS_PER_USER = 10;

/** A webhook's description: at most this many characters (SPEC is silent): one rule for the dispatcher and the CLI. */
export const MAX_DESCRIPTION_LENGTH = 500;

/** `GET …/deliveries?limit=`: from 1 to this many, 20 when not given. */
export const MAX_DELIVERY_LIMIT = 100;
export const DEFAULT_DELIVERY_LIMIT = 20;
