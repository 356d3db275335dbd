import { EVENT_CATALOG, EVENT_TYPES, type EventSubscription } from '../../core/events.js';
import { UsageError } from '../../core/errors.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { askChoices, askText, needInput } from '../prompts.js';
import {
  checkDescription,
  expandUrlShorthand,
  parseEvents,
  requireDescription,
  requireWebhookUrl,
  validateWebhookUrlAnswer,
} from '../webhook-view.js';

export interface CreateOptions {
  url?: string;
  events?: string[];
  description?: string;
}

/** `create`: flags first; on a terminal, asks for what they left out. Prints the secret once. */
export async function run(options: CreateOptions, ctx: Context): Promise<void> {
  // Flags are checked before anything is asked, and the key before any prompt: no typing for nothing.
  let url = options.url === undefined ? undefined : requireWebhookUrl(options.url, '--url');
  let events = options.events === undefined ? undefined : parseEvents(options.events, '--events');
  if (events !== undefined && events.length === 0)
    throw new UsageError('--events is empty.', 'Pass --events trade.completed,trade.failed (or *).');
  let description =
    options.description === undefined ? undefined : requireDescription(options.description, '--description');
  if (url === undefined) needInput(ctx, '--url https://…', 'the webhook URL');
  if (events === undefined) needInput(ctx, '--events a,b (or * for all)', 'the events to subscribe to');
  const { client } = await connect(ctx);

  url ??= expandUrlShorthand(
    await askText(ctx, {
      message: 'URL that receives the deliveries',
      validate: validateWebhookUrlAnswer,
      required: true,
    }),
  );
  events ??= await askEvents(ctx);
  if (description === undefined && ctx.interactive && (options.url === undefined || options.events === undefined)) {
    description =
      (await askText(ctx, { message: 'Description (optional)', validate: (v) => checkDescription(v.trim()) })).trim() ||
      undefined;
  }

  const created = await client.createWebhook({ url, events, ...(description ? { description } : {}) });
  ctx.output.result(created, () =>
    [
      `Created webhook ${ctx.output.style.bold(created.id)} → ${created.url}`,
      `Events: ${created.events.join(', ')}`,
      `Secret: ${created.secret}`,
    ].join('\n'),
  );
  ctx.output.warn(
    `Save this secret now: it is shown only once (\`v2k-webhooks rotate-secret ${created.id}\` makes a new one). ` +
      'Your receiver verifies each delivery with it, e.g. as V2K_WEBHOOK_SECRET.',
  );
}

async function askEvents(ctx: Context): Promise<EventSubscription[]> {
  const chosen = await askChoices<EventSubscription>(ctx, {
    message: 'Events to receive',
    choices: [
      { value: '*', name: '* (every event, including future ones)', short: '*' },
      ...EVENT_TYPES.map((type) => ({
        value: type,
        name: `${type.padEnd(18)} ${EVENT_CATALOG[type].description}`,
        short: type,
      })),
    ],
  });
  return chosen.includes('*') ? ['*'] : chosen;
}
