import { InvalidArgumentError } from 'commander';
import { parseDuration as parseCoreDuration } from '../../core/duration.js';
import { isPort, MAX_PORT } from '../../core/limits.js';

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

/** A parser that throws a UsageError, as commander's argument parser: its message becomes commander's. */
export function usageToArgument<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

/** A duration flag (`30s`, `2m`, `500ms`): core's one parser. */
export const parseDuration: (value: string) => number = usageToArgument(parseCoreDuration);
