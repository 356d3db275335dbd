import { connect } from '../api.js';
import type { Context } from '../context.js';
import { askConfirm, needInput } from '../prompts.js';

export interface DeleteOptions {
  id: string;
  yes?: boolean;
}

/** `delete <id>`: asks first on a terminal; off one, --yes is required (exit 2 without it). */
export async function run(options: DeleteOptions, ctx: Context): Promise<void> {
  if (!options.yes) needInput(ctx, '--yes', `a confirmation to delete ${options.id}`);
  const { client } = await connect(ctx);
  if (!options.yes) {
    const hook = await client.getWebhook(options.id); // a 404 names the id before anything is asked
    const sure = await askConfirm(
      ctx,
      `Delete webhook ${hook.id} (${hook.url})? Its pending deliveries are cancelled.`,
    );
    if (!sure) {
      // The person's answer, not a failure (as `rm -i` answered "n"): exit 0, nothing changed.
      ctx.output.result({ id: hook.id, deleted: false }, () => '');
      ctx.output.info(`Cancelled: ${hook.id} was not deleted.`);
      return;
    }
  }
  await client.deleteWebhook(options.id);
  ctx.output.result({ id: options.id, deleted: true }, () => `Deleted webhook ${options.id}.`);
}
