import { readFileSync } from 'node:fs';

/** The package's version, read once from package.json (two levels up from src/core and dist/core). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The User-Agent of every delivery and API call (SPEC §2). */
export const USER_AGENT = `V2K-Webhooks/${VERSION}`;
