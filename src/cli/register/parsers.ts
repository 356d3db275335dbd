import { InvalidArgumentError } from 'commander';
import { isPort, MAX_PORT, MAX_TIMER_MS } from '../../core/limits.js';

/** For repeatable options: `--secret a --secret b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}.`);
  return Number(value);
}

/** A TCP port; 0 picks a free one. */
export function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!isPort(port))
    throw new InvalidArgumentError(
      `expected a port from 0 to ${MAX_PORT} (0 picks a free one), got ${JSON.stringify(value)}.`,
    );
  return port;
}

export function parsePositiveNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) {
    throw new InvalidArgumentError(`expected a number above 0, got ${JSON.stringify(value)}.`);
  }
  return number;
}

/** A number from `min` to `max`, both included (the message gives the range). */
export function numberBetween(min: number, max: number, why: string): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (value.trim() === '' || !(number >= min && number <= max))
      throw new InvalidArgumentError(`expected a number from ${min} to ${max} (${why}), got ${JSON.stringify(value)}.`);
    return number;
  };
}

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** The longest duration a timer holds, as the message shows it (596h). */
const MAX_DURATION_SHOWN = `${Math.floor(MAX_TIMER_MS / UNITS.h)}h`;

/**
 * `30s`, `2m`, `500ms` or bare seconds → milliseconds, from 1 ms to what a timer can hold
 * (2^31 − 1 ms, about 24.8 days): a longer one fired at once (issue 16: `--timeout 600h` ended
 * listen after 0.17 s).
 */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match)
    throw new InvalidArgumentError(`expected a duration such as 30s, 2m or 500ms, got ${JSON.stringify(value)}.`);
  const ms = Number(match[1]) * UNITS[(match[2] ?? 's') as keyof typeof UNITS];
  if (!(ms >= 1 && ms <= MAX_TIMER_MS))
    throw new InvalidArgumentError(
      `expected a duration from 1ms to ${MAX_DURATION_SHOWN} (the longest a timer holds), got ${JSON.stringify(value)}.`,
    );
  return ms;
}
