import type { Delivery, Webhook } from '../../core/api-types.js';
import { ApiError } from '../../core/errors.js';
import { connect } from '../api.js';
import type { Context } from '../context.js';
import { table } from '../format.js';
import { lastAttempt, shortEvents, summarizeDelivery, webhookState } from '../webhook-view.js';

type Listed = Webhook & {
  lastDelivery: { id: string; status: Delivery['status']; at: string; statusCode: number | null } | null;
};

/** `list`: every webhook with its state and last delivery (one small deliveries call per webhook; at most 10). */
export async function run(_options: unknown, ctx: Context): Promise<void> {
  const { client, apiUrl } = await connect(ctx);
  const hooks = await client.listWebhooks();
  const latest = await Promise.all(
    hooks.map(async (hook) => {
      try {
        const [delivery] = await client.listDeliveries(hook.id, { limit: 1 });
        return delivery;
      } catch (error) {
        // The list itself is what was asked for: a webhook deleted meanwhile just shows no delivery.
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    }),
  );
  const listed: Listed[] = hooks.map((hook, i) => {
    const delivery = latest[i];
    const attempt = delivery ? lastAttempt(delivery) : undefined;
    return {
      ...hook,
      lastDelivery: delivery
        ? {
            id: delivery.id,
            status: delivery.status,
            at: attempt?.at ?? delivery.createdAt,
            statusCode: attempt?.statusCode ?? null,
          }
        : null,
    };
  });
  ctx.output.result(listed, () => {
    if (listed.length === 0)
      return `No webhooks at ${apiUrl} yet. Create one: v2k-webhooks create --url https://… --events '*'`;
    const now = Date.now();
    return table(
      ['ID', 'URL', 'EVENTS', 'STATE', 'LAST DELIVERY'],
      listed.map((hook, i) => {
        const delivery = latest[i];
        const state = webhookState(hook);
        return [
          hook.id,
          hook.url,
          shortEvents(hook.events),
          hook.isActive ? ctx.output.style.green(state) : ctx.output.style.red(state),
          delivery ? summarizeDelivery(delivery, now) : '—',
        ];
      }),
    );
  });
}
