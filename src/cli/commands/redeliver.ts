import { connect } from '../api.js';
import type { Context } from '../context.js';

/** `redeliver <id> <deliveryId>`: a new delivery of the same event (SPEC §3), queued at once. */
export async function run(options: { id: string; deliveryId: string }, ctx: Context): Promise<void> {
  const { client } = await connect(ctx);
  const answer = await client.redeliver(options.id, options.deliveryId);
  ctx.output.result({ ...answer, webhookId: options.id, redeliveryOf: options.deliveryId }, () =>
    [
      `Redelivery queued: ${answer.deliveryId} (the event of ${options.deliveryId}, sent again to ${options.id}).`,
      `Follow it: v2k-webhooks deliveries ${options.id} ${answer.deliveryId}`,
    ].join('\n'),
  );
}
