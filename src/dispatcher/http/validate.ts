import type { DeliveryStatus } from '../../core/api-types.js';
import { EVENT_TYPES, isEventType } from '../../core/events.js';
import { DEFAULT_DELIVERY_LIMIT, MAX_DELIVERY_LIMIT, MAX_DESCRIPTION_LENGTH } from '../../core/limits.js';
import { checkWebhookUrl } from '../../core/webhook-url.js';
import { validationFailed } from './errors.js';

/** Request validation for SPEC §3: each message names the field and says what is expected. */

const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'cancelled'];

export interface CreateInput {
  url: string;
  events: string[];
  description: string | null;
}

export interface PatchInput {
  url?: string;
  events?: string[];
  description?: string | null;
  isActive?: boolean;
}

/** Longest piece of a sent value an error message quotes. */
const QUOTE_LIMIT = 100;

/**
 * A sent value as an error message shows it: strings quoted and cut to 100 characters, anything
 * else by its type. Messages never echo a huge or deeply nested input (stringifying that would throw).
 */
export function quote(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > QUOTE_LIMIT
      ? `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}… (${value.length} characters)`
      : JSON.stringify(value);
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function object(body: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationFailed(`The body must be a JSON object with ${allowed.join(', ')}.`);
  }
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const named =
      unknown.slice(0, 5).map(quote).join(', ') + (unknown.length > 5 ? ` and ${unknown.length - 5} more` : '');
    throw validationFailed(`Unknown field ${named}; allowed fields are ${allowed.join(', ')}.`);
  }
  return body as Record<string, unknown>;
}

export function checkUrl(value: unknown): string {
  if (typeof value !== 'string')
    throw validationFailed('url is required: an absolute http(s) URL such as https://example.com/webhooks/v2k.');
  const problem = checkWebhookUrl(value);
  if (problem !== undefined) throw validationFailed(`url ${problem}.`);
  return value;
}

export function checkEvents(value: unknown): string[] {
  const expected = `an array of event types (${EVENT_TYPES.join(', ')}) or ["*"] for all`;
  if (!Array.isArray(value)) throw validationFailed(`events must be ${expected}.`);
  if (value.length === 0) throw validationFailed(`events must not be empty; give ${expected}.`);
  value.forEach((item, i) => {
    if (item !== '*' && !isEventType(item)) {
      throw validationFailed(
        `events[${i}] is ${quote(item)}, not a known event type; expected one of ${EVENT_TYPES.join(', ')} or *.`,
      );
    }
  });
  return [...new Set(value as string[])];
}

function checkDescription(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw validationFailed('description must be a string (or null).');
  if (value.length > MAX_DESCRIPTION_LENGTH)
    throw validationFailed(
      `description is ${value.length} characters long; at most ${MAX_DESCRIPTION_LENGTH} are allowed.`,
    );
  // It is shown in tables and terminals: a line break or an escape sequence would forge or garble their lines.
  if (/\p{Cc}/u.test(value))
    throw validationFailed(
      'description must not contain control characters (line breaks, tabs, escapes); keep it to one line of text.',
    );
  return value;
}

export function validateCreate(body: unknown): CreateInput {
  const input = object(body, ['url', 'events', 'description']);
  return {
    url: checkUrl(input.url),
    events: checkEvents(input.events),
    description: checkDescription(input.description),
  };
}

export function validatePatch(body: unknown): PatchInput {
  const input = object(body, ['url', 'events', 'description', 'isActive']);
  if (Object.keys(input).length === 0)
    throw validationFailed('Nothing to update: give at least one of url, events, description, isActive.');
  const patch: PatchInput = {};
  if ('url' in input) patch.url = checkUrl(input.url);
  if ('events' in input) patch.events = checkEvents(input.events);
  if ('description' in input) patch.description = checkDescription(input.description);
  if ('isActive' in input) {
    if (typeof input.isActive !== 'boolean') throw validationFailed('isActive must be true or false.');
    patch.isActive = input.isActive;
  }
  return patch;
}

/**
 * Deepest nesting accepted in an event's data. Receivers' JSON parsers stop somewhere (Rust's
 * serde_json at 128 levels, Python's json near 1,000), and a fixed limit answers the same on every
 * run, where "whatever JSON.stringify's stack allows" does not.
 */
export const MAX_DATA_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `limit` levels deep (iterative: no stack to overflow). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Two flat stacks of containers only: a body of 300,000 items costs no allocation per item.
  const containers: object[] = [value];
  const depths: number[] = [1];
  while (containers.length > 0) {
    const current = containers.pop() as Record<string, unknown>;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    for (const key in current) {
      const child = current[key];
      if (typeof child === 'object' && child !== null) {
        containers.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

export function validateEmit(body: unknown): { event: string; data: Record<string, unknown> } {
  const input = object(body, ['event', 'data']);
  if (typeof input.event !== 'string' || input.event === '') {
    throw validationFailed(`event is required: one of ${EVENT_TYPES.join(', ')}.`);
  }
  if (!isEventType(input.event) && input.event !== 'test') {
    throw validationFailed(
      `event ${quote(input.event)} is not a known event type; expected one of ${EVENT_TYPES.join(', ')}.`,
    );
  }
  if (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) {
    throw validationFailed(
      'data is required: a JSON object with the fields of the event (see `v2k-webhooks events <type>`).',
    );
  }
  if (nestedDeeperThan(input.data, MAX_DATA_DEPTH)) {
    throw validationFailed(
      `data is nested more than ${MAX_DATA_DEPTH} levels deep; receivers' JSON parsers refuse such bodies. Flatten it.`,
    );
  }
  return { event: input.event, data: input.data as Record<string, unknown> };
}

export function validateListQuery(query: URLSearchParams): { status: DeliveryStatus | null; limit: number } {
  for (const name of ['status', 'limit']) {
    if (query.getAll(name).length > 1) throw validationFailed(`${name} was given more than once; give it once.`);
  }
  const status = query.get('status');
  if (status !== null && !DELIVERY_STATUSES.includes(status as DeliveryStatus)) {
    throw validationFailed(
      `status ${quote(status)} is not a delivery status; use one of ${DELIVERY_STATUSES.join(', ')}.`,
    );
  }
  const rawLimit = query.get('limit');
  let limit = DEFAULT_DELIVERY_LIMIT;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > MAX_DELIVERY_LIMIT) {
      throw validationFailed(`limit must be a whole number from 1 to ${MAX_DELIVERY_LIMIT} (got ${quote(rawLimit)}).`);
    }
    limit = Number(rawLimit);
  }
  return { status: status as DeliveryStatus | null, limit };
}
