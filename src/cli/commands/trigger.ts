import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EmitEventAnswer } from '../../core/api-types.js';
import { EVENT_CATALOG, EVENT_TYPES, isEventType, validateEventData, type FieldSpec } from '../../core/events.js';
import { UsageError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { readStream } from '../input.js';

export interface TriggerOptions {
  event: string;
  set?: string[];
  data?: string;
  count: number;
}

const MAX_COUNT = 10_000;

/** `trigger <event>`: the catalog's sample data (or --data), edited by --set, emitted --count times. */
export async function run(options: TriggerOptions, ctx: Context): Promise<void> {
  const { event } = options;
  if (!isEventType(event)) {
    const hint =
      event === 'test'
        ? 'The test event goes to one webhook: v2k-webhooks test <id>.'
        : `Use one of ${EVENT_TYPES.join(', ')}.`;
    throw new UsageError(`Cannot trigger ${JSON.stringify(event)}.${didYouMean(event, EVENT_TYPES)}`, hint);
  }
  if (options.count < 1 || options.count > MAX_COUNT)
    throw new UsageError(`--count must be between 1 and ${MAX_COUNT}.`, 'Pass --count 5, say.');
  const data =
    options.data === undefined ? structuredClone(EVENT_CATALOG[event].sample.data) : await readData(options.data, ctx);
  for (const assignment of options.set ?? []) applySet(data, assignment, EVENT_CATALOG[event].fields);
  const check = validateEventData(event, data);
  if (!check.ok) {
    throw new UsageError(
      `The data is not a valid ${event}: ${check.problems.map((p) => p.message).join('; ')}.`,
      `Fix it with --set field=value or --data; \`v2k-webhooks events ${event}\` shows the fields.`,
    );
  }

  const { client } = await connect(ctx);
  const sent: EmitEventAnswer[] = [];
  for (let i = 0; i < options.count; i++) {
    // A fresh key per event: a retried call cannot emit the same event twice.
    const answer = await client.emitEvent({ event, data }, { idempotencyKey: randomUUID() });
    sent.push(answer);
    if (!ctx.output.json)
      ctx.output.line(`${event} ${answer.id} → ${answer.deliveries} deliver${answer.deliveries === 1 ? 'y' : 'ies'}`);
  }
  if (ctx.output.json) ctx.output.result({ event, data, sent }, () => '');
  if (sent.every((s) => s.deliveries === 0)) {
    ctx.output.warn(
      `No webhook subscribes to ${event}, so nothing was delivered. Subscribe one: v2k-webhooks update <id> --add-event ${event}`,
    );
  }
}

async function readData(source: string, ctx: Context): Promise<unknown> {
  let text = source;
  if (source.startsWith('@')) {
    const file = source.slice(1);
    try {
      text = file === '-' ? (await readStream(ctx.stdin)).toString('utf8') : await readFile(file, 'utf8');
    } catch (error) {
      throw new UsageError(
        `Cannot read --data ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
        'Check the path (--data @file.json), or pass the JSON itself.',
      );
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `--data is not valid JSON: ${(error as Error).message}.`,
      'Pass a JSON object, e.g. --data \'{"userId":"u_1",…}\', or @file.json.',
    );
  }
}

/**
 * `amount=250`, `tracks.0.trackId=t_1`, `tracks[0].amount=3`. The value is JSON when it parses
 * (numbers, true, null…), except where the field already holds a string: there it stays text,
 * so `tradeId=123` keeps tradeId a string. Quote it (`tradeId="123"`) to force JSON.
 *
 * Every field on the path must exist, in the data or in the catalog's fields of the event
 * (`fields`), so that a typo (`amout=250`) fails with a did-you-mean instead of adding a field
 * nobody reads (issue 17). A list may grow by one at its end (`tracks.1.trackId=…`).
 */
export function applySet(data: unknown, assignment: string, fields: readonly FieldSpec[] = []): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0)
    throw new UsageError(
      `--set ${JSON.stringify(assignment)} is not path=value.`,
      'Pass --set amount=250 or --set tracks.0.trackId=t_1.',
    );
  const name = assignment.slice(0, eq);
  const path = name
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean);
  const raw = assignment.slice(eq + 1);
  if (path.length === 0 || path.some((k) => k === '__proto__' || k === 'constructor' || k === 'prototype')) {
    throw new UsageError(`--set has a bad path ${JSON.stringify(name)}.`, 'Use field names separated by dots.');
  }
  if (typeof data !== 'object' || data === null)
    throw new UsageError('--set needs data that is a JSON object.', 'Pass --data {…} with an object.');
  let node = data as Record<string, unknown>;
  let known: readonly FieldSpec[] = fields;
  const where = ['data'];
  path.forEach((key, i) => {
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(key) || Number(key) > node.length)
        throw new UsageError(
          `--set ${assignment}: ${where.join('.')} is a list of ${node.length}, so ${JSON.stringify(key)} is not one of its places.`,
          `Use an index from 0 to ${node.length} (${node.length} adds one at the end).`,
        );
    } else {
      const names = [...new Set([...Object.keys(node), ...known.map((f) => f.name)])];
      if (!names.includes(key))
        throw new UsageError(
          `--set ${assignment}: ${where.join('.')} has no field ${JSON.stringify(key)}.${didYouMean(key, names)}`,
          `Its fields: ${names.join(', ')}. To send a field the catalog does not have, pass the whole object with --data.`,
        );
      const kind = known.find((f) => f.name === key)?.kind;
      known = typeof kind === 'object' && 'arrayOf' in kind ? kind.arrayOf : [];
    }
    where.push(key);
    if (i === path.length - 1) {
      node[key] = typeof node[key] === 'string' && !raw.startsWith('"') ? raw : parseValue(raw);
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = /^\d+$/.test(path[i + 1] ?? '') ? [] : {};
    node = node[key] as Record<string, unknown>;
  });
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
