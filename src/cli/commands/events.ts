import { EVENT_CATALOG, isDeliverableEvent, type DeliverableEvent } from '../../core/events.js';
import { UsageError } from '../../core/errors.js';
import type { Context } from '../context.js';
import { table } from '../format.js';

export interface EventsOptions {
  type?: string;
}

export async function run({ type }: EventsOptions, ctx: Context): Promise<void> {
  if (type !== undefined) {
    if (!isDeliverableEvent(type)) {
      throw new UsageError(
        `Unknown event type ${JSON.stringify(type)}.`,
        'Run `v2k-webhooks events` to list the types.',
      );
    }
    const spec = EVENT_CATALOG[type];
    ctx.output.result(describe(type), () =>
      [
        `${ctx.output.style.bold(type)}: ${spec.description}`,
        `Required fields of data: ${spec.fields.map((f) => f.name).join(', ')}`,
        '',
        JSON.stringify(spec.sample, null, 2),
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
