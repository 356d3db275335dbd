import { UsageError } from './errors.js';
import { MAX_TIMER_MS } from './limits.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** The longest duration a timer holds, as the message shows it (596h). */
const MAX_DURATION_SHOWN = `${Math.floor(MAX_TIMER_MS / UNITS.h)}h`;

/**
 * `30s`, `2m`, `500ms` or bare seconds → milliseconds, from 1 ms to what a timer can hold
 * (2^31 − 1 ms, about 24.8 days): a longer one fired at once (issue 16: `--timeout 600h` ended
 * listen after 0.17 s). Throws a UsageError saying what was expected. The CLI's flags and the
 * dispatcher's `--chaos` spec (issue 18) read durations with this one parser.
 */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new UsageError(`expected a duration such as 30s, 2m or 500ms, got ${JSON.stringify(value)}.`);
  const ms = Number(match[1]) * UNITS[(match[2] ?? 's') as keyof typeof UNITS];
  if (!(ms >= 1 && ms <= MAX_TIMER_MS))
    throw new UsageError(
      `expected a duration from 1ms to ${MAX_DURATION_SHOWN} (the longest a timer holds), got ${JSON.stringify(value)}.`,
    );
  return ms;
}

/**
 * The one way durations read (issue 17): `250ms`, `1.5s`, `30s`, `2m`, `1h` — the forms the CLI's
 * duration flags accept, so what is printed can be passed back (`--timeout 30s`).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) {
    const tenths = Math.round(ms / 100) / 10;
    return tenths < 60 ? `${tenths}s` : '1m';
  }
  const seconds = Math.round(ms / 1000);
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
