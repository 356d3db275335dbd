import { randomInt } from 'node:crypto';
import { formatDuration, parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { MAX_TIMER_MS } from '../core/limits.js';
import { CHAOS_MAX_DELAY_MS } from './policy.js';

/**
 * Chaos delivery (issue 18): what `dispatcher --chaos duplicate=0.1,reorder=0.2,delay=0-2s` and
 * `createDispatcher({ chaos })` ask for. The engine that acts on it is chaos.ts.
 */
export interface ChaosOptions {
  /** Chance (0 to 1) that an attempt answered 2xx is sent once more, as by a platform that lost the answer. */
  duplicate?: number;
  /** Chance (0 to 1) that a delivery's first attempt is held back until a later delivery of its webhook has gone out. */
  reorder?: number;
  /** An extra wait before every attempt, drawn from `minMs` to `maxMs` (unscaled: `--time-scale` applies), or as the spec writes it (`'0-2s'`). */
  delay?: { minMs: number; maxMs: number } | string;
  /** Seed of the random draws, from 0 to 2^32 − 1. Default: a random one, reported so a run can be replayed. */
  seed?: number;
}

/** The spec resolved: every field set, the seed drawn. */
export interface ChaosSettings {
  duplicate: number;
  reorder: number;
  delayMinMs: number;
  delayMaxMs: number;
  seed: number;
}

const NAMES = ['duplicate', 'reorder', 'delay', 'seed'] as const;
type Name = (typeof NAMES)[number];
const MAX_SEED = 2 ** 32 - 1;
const EXAMPLE = 'duplicate=0.1,reorder=0.2,delay=0-2s';

/**
 * `duplicate=0.1,reorder=20%,delay=0-2s,seed=42` → options. Probabilities are 0 to 1 or a
 * percentage; `delay=` is `MIN-MAX` or `MAX` (from 0), in the CLI's durations (`500ms`, `2s`).
 * Throws a UsageError (exit 2) that names the part at fault and what it takes.
 */
export function parseChaos(spec: string): ChaosOptions {
  const parts = spec
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) throw new UsageError(`The chaos spec is empty: give NAME=VALUE pairs, e.g. ${EXAMPLE}.`);
  const options: ChaosOptions = {};
  const seen = new Set<Name>();
  for (const part of parts) {
    const equals = part.indexOf('=');
    const name = (equals < 0 ? part : part.slice(0, equals)).trim().toLowerCase();
    const value = equals < 0 ? '' : part.slice(equals + 1).trim();
    if (!(NAMES as readonly string[]).includes(name))
      throw new UsageError(
        `Unknown chaos ${JSON.stringify(name)}.${didYouMean(name, NAMES)} The spec takes ${NAMES.map((n) => `${n}=`).join(', ')} (e.g. ${EXAMPLE}).`,
      );
    const known = name as Name;
    if (seen.has(known)) throw new UsageError(`The chaos spec gives ${known}= twice: give it once.`);
    seen.add(known);
    if (value === '') throw new UsageError(`${known}= needs a value (e.g. ${EXAMPLE}).`);
    if (known === 'duplicate' || known === 'reorder') options[known] = parseProbability(known, value);
    else if (known === 'delay') options.delay = parseDelay(value);
    else options.seed = parseSeed(value);
  }
  return options;
}

/** The chaos a dispatcher runs with: a spec string or options, checked, with the seed drawn when none was given. */
export function resolveChaos(input: string | ChaosOptions): ChaosSettings {
  const options = typeof input === 'string' ? parseChaos(input) : input;
  if (typeof options !== 'object' || options === null)
    throw new UsageError(`chaos must be a spec such as ${JSON.stringify(EXAMPLE)} or an object of the same fields.`);
  const unknown = Object.keys(options).filter((key) => !(NAMES as readonly string[]).includes(key));
  if (unknown.length > 0)
    throw new UsageError(
      `Unknown chaos option ${JSON.stringify(unknown[0])}.${didYouMean(unknown[0] as string, NAMES)} It takes ${NAMES.join(', ')}.`,
    );
  const probability = (name: 'duplicate' | 'reorder'): number => {
    const value = options[name] ?? 0;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1))
      throw new UsageError(`chaos ${name} must be a probability from 0 to 1, got ${String(value)}.`);
    return value;
  };
  const { minMs, maxMs } = delayOption(options.delay);
  const chosen = options.seed ?? randomInt(0, MAX_SEED);
  if (!Number.isInteger(chosen) || chosen < 0 || chosen > MAX_SEED)
    throw new UsageError(`The chaos seed must be a whole number from 0 to ${MAX_SEED}, got ${String(chosen)}.`);
  const settings: ChaosSettings = {
    duplicate: probability('duplicate'),
    reorder: probability('reorder'),
    delayMinMs: minMs,
    delayMaxMs: maxMs,
    seed: chosen,
  };
  if (settings.duplicate === 0 && settings.reorder === 0 && settings.delayMaxMs === 0)
    throw new UsageError(
      `The chaos spec asks for nothing: give duplicate=, reorder= or delay= above 0 (e.g. ${EXAMPLE}), or leave --chaos out.`,
    );
  return settings;
}

/** The spec that replays `settings`, seed included: `duplicate=0.1,reorder=0.2,delay=0-2s,seed=42`. */
export function formatChaos(settings: ChaosSettings): string {
  const parts: string[] = [];
  if (settings.duplicate > 0) parts.push(`duplicate=${decimal(settings.duplicate)}`);
  if (settings.reorder > 0) parts.push(`reorder=${decimal(settings.reorder)}`);
  if (settings.delayMaxMs > 0) {
    const min = settings.delayMinMs === 0 ? '0' : exactDuration(settings.delayMinMs);
    parts.push(`delay=${min}-${exactDuration(settings.delayMaxMs)}`);
  }
  parts.push(`seed=${settings.seed}`);
  return parts.join(',');
}

/** A probability as the spec reads it: `0.0000001`, never `1e-7`. */
function decimal(p: number): string {
  const text = String(p);
  return text.includes('e') ? p.toFixed(20).replace(/0+$/, '') : text;
}

/** The one duration format when it reads back exactly, else milliseconds (1234 → `1234ms`, not `1.2s`). */
function exactDuration(ms: number): string {
  const text = formatDuration(ms);
  return parseDuration(text) === ms ? text : `${ms}ms`;
}

function parseProbability(name: string, value: string): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(%?)$/.exec(value);
  const number = match ? Number(match[1]) / (match[2] === '%' ? 100 : 1) : Number.NaN;
  if (!(number >= 0 && number <= 1))
    throw new UsageError(
      `${name}= takes a probability from 0 to 1 (0.1) or a percentage (10%), got ${JSON.stringify(value)}.`,
    );
  return number;
}

/** `0-2s`, `500ms-1.5s`, or `2s` (from 0). */
function parseDelay(value: string): { minMs: number; maxMs: number } {
  const bounds = value.split('-').map((bound) => bound.trim());
  if (bounds.length > 2 || bounds.some((bound) => bound === ''))
    throw new UsageError(`delay= takes MIN-MAX or MAX, such as 0-2s or 500ms-1s, got ${JSON.stringify(value)}.`);
  const [minMs, maxMs] = bounds.length === 1 ? [0, delayBound(bounds[0] as string)] : bounds.map(delayBound);
  if ((minMs as number) > (maxMs as number))
    throw new UsageError(`delay= runs from MIN to MAX: ${JSON.stringify(value)} has MIN above MAX.`);
  checkDelayMax(maxMs as number);
  return { minMs: minMs as number, maxMs: maxMs as number };
}

function delayBound(text: string): number {
  if (/^0+(?:\.0+)?(?:ms|s|m|h)?$/.test(text)) return 0;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(
      `delay= takes durations from 1ms to ${formatDuration(CHAOS_MAX_DELAY_MS)}, such as 0-2s or 500ms-1s, got ${JSON.stringify(text)}.`,
    );
  }
}

/** A value a caller passed, for a message: `2000`, `true`, `null`, `[0,2000]`. */
function shown(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
    ? String(value)
    : (JSON.stringify(value) ?? typeof value);
}

/** `delay` of ChaosOptions: a spec string, or exactly `{ minMs, maxMs }` in milliseconds. */
function delayOption(delay: unknown): { minMs: number; maxMs: number } {
  if (delay === undefined) return { minMs: 0, maxMs: 0 };
  if (typeof delay === 'string') return parseDelay(delay);
  const shape = `chaos delay must be a spec such as '0-2s' or { minMs, maxMs } in milliseconds`;
  if (typeof delay !== 'object' || delay === null || Array.isArray(delay))
    throw new UsageError(`${shape}, got ${shown(delay)}.`);
  const extra = Object.keys(delay).filter((key) => key !== 'minMs' && key !== 'maxMs');
  if (extra.length > 0) throw new UsageError(`${shape}; it has no ${JSON.stringify(extra[0])}.`);
  const { minMs = 0, maxMs } = delay as { minMs?: unknown; maxMs?: unknown };
  const bound = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && (ms === 0 || ms >= 1);
  if (!bound(minMs) || !bound(maxMs) || !(minMs <= maxMs))
    throw new UsageError(
      `${shape}, 0 ≤ minMs ≤ maxMs, each 0 or at least 1 ms, got ${String(minMs)} to ${String(maxMs)}.`,
    );
  checkDelayMax(maxMs);
  return { minMs, maxMs };
}

function checkDelayMax(maxMs: number): void {
  if (maxMs > CHAOS_MAX_DELAY_MS)
    throw new UsageError(
      `A chaos delay of ${maxMs <= MAX_TIMER_MS ? exactDuration(maxMs) : `${maxMs}ms`} is longer than the ${formatDuration(CHAOS_MAX_DELAY_MS)} attempt timeout: a platform that slow would have given up on the attempt and retried it. Give delay= at most ${formatDuration(CHAOS_MAX_DELAY_MS)}.`,
    );
}

function parseSeed(value: string): number {
  const seed = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!(seed >= 0 && seed <= MAX_SEED))
    throw new UsageError(`seed= takes a whole number from 0 to ${MAX_SEED}, got ${JSON.stringify(value)}.`);
  return seed;
}
