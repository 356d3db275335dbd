import { resolveSettings } from '../api.js';
import { openConfig } from '../config.js';
import type { Context } from '../context.js';

export interface LogoutOptions {
  all?: boolean;
}

/** `logout`: forgets one saved profile (its key and URL), or all of them. */
export async function run(options: LogoutOptions, ctx: Context): Promise<void> {
  const store = await openConfig();
  const names = options.all
    ? Object.keys(store.profiles())
    : [resolveSettings(ctx.globals, ctx.env, store.profiles()).profile];
  const removed = names.filter((name) => store.remove(name));
  ctx.output.result({ removed, configPath: store.path }, () =>
    removed.length === 0
      ? `No saved profile${options.all ? 's' : ` "${names[0]}"`}: nothing to forget.`
      : `Logged out: forgot profile${removed.length === 1 ? '' : 's'} ${removed.map((n) => `"${n}"`).join(', ')}.`,
  );
  if (!options.all && (ctx.env.V2K_API_KEY ?? '').trim() !== '') {
    ctx.output.warn('V2K_API_KEY is still set in this environment, and commands will keep using it.');
  }
}
