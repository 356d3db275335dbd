import { connect } from '../api.js';
import type { Context } from '../context.js';

/** `rotate-secret <id>`: a new signing secret, printed once. */
export async function run(options: { id: string }, ctx: Context): Promise<void> {
  const { client } = await connect(ctx);
  const hook = await client.rotateSecret(options.id);
  ctx.output.result(hook, () =>
    [`New secret for ${ctx.output.style.bold(hook.id)} (${hook.url}):`, hook.secret].join('\n'),
  );
  ctx.output.warn(
    'Save this secret now: it is shown only once, and deliveries are signed with it from now on. ' +
      'Update your receiver (e.g. V2K_WEBHOOK_SECRET; `listen` and `verify` accept several --secret during the switch).',
  );
}
