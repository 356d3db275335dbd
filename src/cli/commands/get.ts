import { connect } from '../api.js';
import type { Context } from '../context.js';
import { renderWebhook } from '../webhook-view.js';

/** `get <id>`: the webhook and its delivery statistics. */
export async function run(options: { id: string }, ctx: Context): Promise<void> {
  const { client } = await connect(ctx);
  const hook = await client.getWebhook(options.id);
  ctx.output.result(hook, () => renderWebhook(hook, ctx.output.style));
}
