import { resolveSettings } from '../api.js';
import { openConfig } from '../config.js';
import type { Context } from '../context.js';

export interface LogoutOptions {
  all?: boolean;
}

/**
 * `logout`: forgets one saved profile (its key and URL), or everything with --all — which also
 * works on a broken config file: that one is kept as config.json.bak (issue 17).
 */
export async function run(options: LogoutOptions, ctx: Context): Promise<void> {
  const store = await openConfig({ repair: Boolean(options.all) });
  let removed: string[];
  let names: string[];
  if (options.all) {
    names = removed = Object.keys(store.profiles());
    if (removed.length > 0 || store.broken || Object.keys(store.data().listeners ?? {}).length > 0) await store.clear();
  } else {
    names = [resolveSettings(ctx.globals, ctx.env, store.data()).profile];
    removed = [];
    for (const name of names) if (await store.remove(name)) removed.push(name);
  }
  ctx.output.result(
    { removed, configPath: store.path, ...(store.broken ? { brokenConfigKeptAs: store.broken.backup } : {}) },
    () =>
      removed.length === 0
        ? `No saved profile${options.all ? 's' : ` "${names[0]}"`}: nothing to forget.`
        : `Logged out: forgot profile${removed.length === 1 ? '' : 's'} ${removed.map((n) => `"${n}"`).join(', ')}.`,
  );
  if (store.broken)
    ctx.output.warn(
      `The config file ${store.broken.problem}: it is kept as ${store.broken.backup}; a new one is empty.`,
    );
  if ((ctx.env.V2K_API_KEY ?? '').trim() !== '') {
    ctx.output.warn('V2K_API_KEY is still set in this environment, and commands will keep using it.');
  }
}
