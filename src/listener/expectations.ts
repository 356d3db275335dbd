import { isDeliverableEvent, EVENT_TYPES } from '../core/events.js';
import { didYouMean } from '../core/suggest.js';
import { matchesPattern } from './targets.js';
import type { ListenerEvent } from './types.js';

/** `--expect EVENT[:N]`: at least N deliveries of EVENT (a type, or a pattern such as `trade.*`). */
export interface Expectation {
  pattern: string;
  count: number;
}

export interface ExpectationStatus extends Expectation {
  seen: number;
  met: boolean;
}

export class ExpectationError extends Error {}

export function parseExpectation(spec: string): Expectation {
  const match = /^([A-Za-z0-9_.*-]+)(?::(\d+))?$/.exec(spec.trim());
  if (!match)
    throw new ExpectationError(`--expect ${JSON.stringify(spec)} is not EVENT or EVENT:N (e.g. trade.completed:3).`);
  const pattern = match[1] as string;
  const count = match[2] === undefined ? 1 : Number(match[2]);
  if (!pattern.includes('*') && !isDeliverableEvent(pattern)) {
    throw new ExpectationError(
      `--expect ${JSON.stringify(spec)}: unknown event type ${JSON.stringify(pattern)}.${didYouMean(pattern, [...EVENT_TYPES, 'test'])} Expected one of ${EVENT_TYPES.join(', ')}, test, or a pattern such as trade.*.`,
    );
  }
  if (!(count >= 1)) throw new ExpectationError(`--expect ${JSON.stringify(spec)}: the count must be 1 or more.`);
  return { pattern, count };
}

/**
 * Counts deliveries against expectations, by the type in the body (never X-V2K-Event). A delivery
 * counts when its signature verified, or when no secret was given at all (nothing to check it
 * with) — not when a header contradicts its body; retries of one delivery count once.
 */
export function createExpectations(list: readonly Expectation[]) {
  const seen = list.map(() => 0);
  const deliveries = new Set<string>();

  function status(): ExpectationStatus[] {
    return list.map((e, i) => ({ ...e, seen: seen[i] as number, met: (seen[i] as number) >= e.count }));
  }

  return {
    /** Counts one event; returns true once every expectation is met. */
    record(event: ListenerEvent): boolean {
      const counts = event.verdict.ok || event.verdict.reason === 'no_secret';
      if (counts && event.event !== null && !(event.deliveryId !== null && deliveries.has(event.deliveryId))) {
        if (event.deliveryId !== null) deliveries.add(event.deliveryId);
        list.forEach((e, i) => {
          if (matchesPattern(e.pattern, event.event as string)) seen[i] = (seen[i] as number) + 1;
        });
      }
      return this.met();
    },
    met(): boolean {
      return status().every((s) => s.met);
    },
    status,
    missing(): ExpectationStatus[] {
      return status().filter((s) => !s.met);
    },
  };
}

export type Expectations = ReturnType<typeof createExpectations>;
