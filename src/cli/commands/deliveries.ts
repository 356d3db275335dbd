import type { Delivery, DeliveryStatus } from '../../core/api-types.js';
import { formatDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { attemptSucceeded } from '../../core/outcome.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { table } from '../format.js';
import { DEFAULT_DELIVERY_LIMIT, MAX_DELIVERY_LIMIT } from '../../core/limits.js';
import { attemptResult, lastAttempt, relative, snippet } from '../webhook-view.js';

export interface DeliveriesOptions {
  id: string;
  deliveryId?: string;
  status?: DeliveryStatus;
  limit?: number;
}

/** `deliveries <id> [deliveryId]`: the deliveries, newest first, or every attempt of one. */
export async function run(options: DeliveriesOptions, ctx: Context): Promise<void> {
  if (options.limit !== undefined && (options.limit < 1 || options.limit > MAX_DELIVERY_LIMIT)) {
    throw new UsageError(
      `--limit must be from 1 to ${MAX_DELIVERY_LIMIT} (the API's range), not ${options.limit}.`,
      `Pass --limit ${MAX_DELIVERY_LIMIT} for the most the API lists at once, or leave it out for the default ${DEFAULT_DELIVERY_LIMIT}.`,
    );
  }
  if (options.deliveryId && (options.status || options.limit !== undefined)) {
    throw new UsageError(
      '--status and --limit filter the list; they do not apply to one delivery.',
      `Drop them, or drop ${options.deliveryId}.`,
    );
  }
  const { client } = await connect(ctx);
  const style = ctx.output.style;
  if (options.deliveryId) {
    const delivery = await client.getDelivery(options.id, options.deliveryId);
    ctx.output.result(delivery, () => renderOne(delivery, (ok, text) => (ok ? style.green(text) : style.red(text))));
    return;
  }
  const list = await client.listDeliveries(options.id, { status: options.status, limit: options.limit });
  ctx.output.result(list, () => {
    if (list.length === 0) {
      return `No deliveries${options.status ? ` with status ${options.status}` : ''} for ${options.id} yet. Send one: v2k-webhooks test ${options.id}`;
    }
    const now = Date.now();
    return table(
      ['ID', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST RESULT', 'CREATED'],
      list.map((d) => {
        const attempt = lastAttempt(d);
        return [
          d.id,
          d.event,
          d.status,
          String(d.attempts.length),
          attempt ? `${attemptResult(attempt)}, ${formatDuration(attempt.durationMs)}` : '—',
          relative(d.createdAt, now),
        ];
      }),
    );
  });
}

function renderOne(delivery: Delivery, paint: (ok: boolean, text: string) => string): string {
  const lines = [
    `${delivery.id}  ${delivery.event}  ${delivery.status}`,
    `Webhook ${delivery.webhookId}, event ${delivery.eventId}, created ${delivery.createdAt} (${relative(delivery.createdAt)})`,
  ];
  if (delivery.nextAttemptAt)
    lines.push(`Next attempt ${delivery.nextAttemptAt} (${relative(delivery.nextAttemptAt)})`);
  lines.push('');
  if (delivery.attempts.length === 0) lines.push('No attempt yet.');
  else {
    lines.push(
      table(
        ['#', 'AT', 'RESULT', 'TIME', 'RESPONSE'],
        delivery.attempts.map((a) => [
          a.chaos === undefined ? String(a.number) : `${a.number} [chaos: ${a.chaos}]`,
          a.at,
          paint(attemptSucceeded(a), attemptResult(a)),
          formatDuration(a.durationMs),
          snippet(a.responseBody, 60),
        ]),
      ),
    );
  }
  return lines.join('\n');
}
