import { EVENT_CATALOG, isDeliverableEvent, type DeliverableEvent } from '../../core/events.js';
import { UsageError } from '../../core/errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { Context } from '../context.js';
import { table } from '../format.js';

export interface EventsOptions {
  type?: string;
  payload?: boolean;
}

export async function run({ type, payload }: EventsOptions, ctx: Context): Promise<void> {
  if (type === undefined && payload)
    throw new UsageError(
      '--payload prints the sample of one event type.',
      'Pass a type: `v2k-webhooks events trade.completed --payload`.',
    );
  if (type !== undefined) {
    if (!isDeliverableEvent(type)) {
      throw new UsageError(
        `Unknown event type ${JSON.stringify(type)}.${didYouMean(type, Object.keys(EVENT_CATALOG))}`,
        'Run `v2k-webhooks events` to list the types.',
      );
    }
    const spec = EVENT_CATALOG[type];
    if (payload) {
      // The body exactly as the platform serializes it (SPEC §2: JSON.stringify, no trailing newline),
      // so `> body.json` then `sign --payload body.json` signs what a delivery carries.
      const body = JSON.stringify(spec.sample);
      ctx.output.stdout.write(ctx.output.isTTY ? `${body}\n` : body);
      return;
    }
    ctx.output.result(describe(type), () =>
      [
        `${ctx.output.style.bold(type)}: ${spec.description}`,
        `Required fields of data: ${spec.fields.map((f) => f.name).join(', ')}`,
        '',
        JSON.stringify(spec.sample, null, 2),
        '',
        `Just the body, as a delivery carries it: v2k-webhooks events ${type} --payload`,
      ].join('\n'),
    );
    return;
  }
  const all = (Object.keys(EVENT_CATALOG) as DeliverableEvent[]).map(describe);
  ctx.output.result(all, () =>
    [
      table(
        ['EVENT', 'DESCRIPTION', 'REQUIRED FIELDS'],
        all.map((e) => [e.type, e.description, e.required.join(', ')]),
      ),
      '',
      'Show one with its sample payload: v2k-webhooks events <type>',
    ].join('\n'),
  );
}

function describe(type: DeliverableEvent) {
  const spec = EVENT_CATALOG[type];
  return { type, description: spec.description, required: spec.fields.map((f) => f.name), sample: spec.sample };
}
