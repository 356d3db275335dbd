/** The body cap of SPEC §3 (over it: 413), used by the dispatcher, the listener and the demo app alike. */
export const MAX_BODY_BYTES = 1024 * 1024;
