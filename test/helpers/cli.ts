import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options, type Result } from 'execa';

export const BIN = fileURLToPath(new URL('../../bin/v2k-webhooks.js', import.meta.url));

/** A temporary HOME, so tests never read or write the real user's config. */
export function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'v2k-home-'));
}

/**
 * Runs the built CLI as a user would, off a TTY, never throwing on a non-zero exit.
 * Environment: a temporary HOME and no V2K_* variables from the caller unless given.
 */
export function cli(
  args: readonly string[],
  options: Options & { env?: Record<string, string | undefined> } = {},
): Promise<Result> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('V2K_')));
  const home = options.env?.HOME ?? tempHome();
  return execa('node', [BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: 30_000,
    ...options,
    env: { ...inherited, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1', ...options.env },
    extendEnv: false,
  });
}
