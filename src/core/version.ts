import { readFileSync } from 'node:fs';

// The CLI bundle has the version written in at build time (scripts/bundle-cli.mjs), so starting
// the CLI reads no file for it; the library built by tsc reads package.json once.
declare const __V2K_VERSION__: string | undefined;

/** The package's version (package.json, two levels up from src/core and dist/core). */
export const VERSION: string =
  typeof __V2K_VERSION__ === 'string'
    ? __V2K_VERSION__
    : (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The User-Agent of every delivery and API call (SPEC §2). */
export const USER_AGENT = `V2K-Webhooks/${VERSION}`;
