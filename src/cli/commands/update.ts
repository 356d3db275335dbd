import type { UpdateWebhookInput } from '../../core/api-types.js';
import { EVENT_TYPES, type EventSubscription } from '../../core/events.js';
import { UsageError } from '../../core/errors.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { parseEvents, renderWebhook, requireDescription, requireWebhookUrl } from '../webhook-view.js';

export interface UpdateOptions {
  id: string;
  url?: string;
  events?: string[];
  addEvent?: string[];
  removeEvent?: string[];
  enable?: boolean;
  disable?: boolean;
  description?: string;
}

/** `update <id>`: one PATCH; --add-event/--remove-event read the current events first. */
export async function run(options: UpdateOptions, ctx: Context): Promise<void> {
  const patch: UpdateWebhookInput = {};
  if (options.url !== undefined) patch.url = requireWebhookUrl(options.url, '--url');
  if (options.enable && options.disable)
    throw new UsageError('--enable and --disable contradict each other.', 'Pass one of them.');
  if (options.enable) patch.isActive = true;
  if (options.disable) patch.isActive = false;
  if (options.description !== undefined)
    patch.description =
      options.description.trim() === '' ? null : requireDescription(options.description, '--description');
  const replace = options.events === undefined ? undefined : parseEvents(options.events, '--events');
  const add = parseEvents(options.addEvent, '--add-event');
  const remove = parseEvents(options.removeEvent, '--remove-event');
  if (replace !== undefined && replace.length === 0)
    throw new UsageError('--events is empty.', 'Pass --events a,b (or *), or use --add-event / --remove-event.');
  if (replace && (add.length > 0 || remove.length > 0)) {
    throw new UsageError(
      '--events replaces the list, so it cannot be combined with --add-event or --remove-event.',
      'Pass either --events or the add/remove flags.',
    );
  }
  const editsEvents = replace !== undefined || add.length > 0 || remove.length > 0;
  if (Object.keys(patch).length === 0 && !editsEvents) {
    throw new UsageError(
      `Nothing to update on ${options.id}.`,
      'Pass --url, --events, --add-event, --remove-event, --enable, --disable or --description.',
    );
  }

  const { client } = await connect(ctx);
  if (replace) patch.events = replace;
  if (add.length > 0 || remove.length > 0) {
    const current = await client.getWebhook(options.id);
    patch.events = editEvents(current.events, add, remove, options.id);
  }
  const updated = await client.updateWebhook(options.id, patch);
  ctx.output.result(updated, () => `Updated ${updated.id}.\n\n${renderWebhook(updated, ctx.output.style)}`);
}

/** Adds, then removes; removing one type from `*` leaves every other type. */
export function editEvents(
  current: readonly EventSubscription[],
  add: EventSubscription[],
  remove: EventSubscription[],
  id: string,
): EventSubscription[] {
  if (add.includes('*')) return remove.length > 0 ? editEvents(['*'], [], remove, id) : ['*'];
  let events: EventSubscription[] = [...current];
  if (!events.includes('*')) events = [...new Set([...events, ...add])];
  if (remove.includes('*')) events = events.filter((e) => e !== '*');
  else if (remove.length > 0) {
    const expanded: EventSubscription[] = events.includes('*') ? [...EVENT_TYPES] : events;
    events = expanded.filter((e) => !remove.includes(e));
  }
  if (events.length === 0) {
    throw new UsageError(
      `That would leave ${id} with no events.`,
      `Subscribe to another one (--add-event), or delete it: v2k-webhooks delete ${id}.`,
    );
  }
  return events;
}
