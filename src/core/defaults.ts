/** Default ports (SPEC §5): the dispatcher and `listen` differ, so both run side by side with their defaults. */
export const DEFAULT_DISPATCHER_PORT = 4000;
export const DEFAULT_LISTEN_PORT = 4001;

/** How long `listen` lets the app take before the sender gets 504 (SPEC §5: app over 10 s). */
export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;

/** How long `listen --expect` waits without --timeout: CI jobs still end (issue 5's example: `--timeout 30s`). */
export const DEFAULT_EXPECT_TIMEOUT_MS = 30_000;
