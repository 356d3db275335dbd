import type { Result } from 'execa';
import { cli, tempHome } from '../../helpers/cli.js';
import type { RunningDispatcher } from '../../helpers/dispatcher.js';

export type Run = (args: readonly string[], env?: Record<string, string | undefined>) => Promise<Result>;

/** Runs the CLI against `dispatcher` as one user (its own key), under one temporary HOME. */
export function asUser(dispatcher: RunningDispatcher, key: string, home = tempHome()): Run {
  return (args, env = {}) =>
    cli(['--api-url', dispatcher.url, '--api-key', key, ...args], { env: { HOME: home, ...env } });
}

/** stdout parsed as JSON; fails the test with the output when it is not only JSON. */
export function json<T = Record<string, unknown>>(result: Result): T {
  const text = String(result.stdout);
  if (result.exitCode !== 0 && text === '')
    throw new Error(`exit ${result.exitCode}, stderr:\n${String(result.stderr)}`);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`stdout is not only JSON (exit ${result.exitCode}):\n${text}\nstderr:\n${String(result.stderr)}`);
  }
}

/** Keys for `--api-key KEY:USER`: one user per test, so each starts with no webhooks. */
export function userKeys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}_key_${i}_0123456789:${prefix}_user_${i}`);
}

export function keyOf(entry: string): string {
  return entry.split(':')[0] as string;
}
