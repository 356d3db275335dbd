import { UsageError } from '../../core/errors.js';
import { checkApiKey, patient, resolveSettings } from '../api.js';
import { maskKey, openConfig } from '../config.js';
import type { Context } from '../context.js';
import { readStream } from '../input.js';
import { askSecret } from '../prompts.js';

export interface LoginOptions {
  withToken?: boolean;
}

/**
 * `login`: takes a key (--with-token on stdin, --api-key, V2K_API_KEY, or a masked prompt),
 * checks it with a real call and saves the profile. A broken config file does not stop it: the
 * file is kept as config.json.bak and a new one written, and the user is told (issue 17).
 */
export async function run(options: LoginOptions, ctx: Context): Promise<void> {
  const store = await openConfig({ repair: true });
  const settings = resolveSettings(ctx.globals, ctx.env, store.data());
  const { createApiClient } = await import('../../core/api-client.js');
  // Checked before any prompt, so a bad --api-url is reported before a key is typed.
  createApiClient({ baseUrl: settings.apiUrl });

  let apiKey: string | undefined;
  if (options.withToken) {
    if (settings.apiKeySource === 'flag')
      throw new UsageError('--with-token reads the key from stdin; --api-key gives another one.', 'Pass only one.');
    if (ctx.stdin.isTTY)
      throw new UsageError(
        '--with-token reads the key from stdin, and stdin is a terminal.',
        'Pipe it in: `echo "$KEY" | v2k-webhooks login --with-token` (or run `v2k-webhooks login` to be asked).',
      );
    apiKey = (await readStream(ctx.stdin)).toString('utf8').trim();
    if (apiKey === '')
      throw new UsageError(
        '--with-token read no key from stdin.',
        'Pipe it in: `echo "$KEY" | v2k-webhooks login --with-token`.',
      );
    checkApiKey(apiKey, 'argument', settings.profile);
  } else if (settings.apiKeySource === 'flag' || settings.apiKeySource === 'env') {
    apiKey = settings.apiKey;
    if (apiKey) checkApiKey(apiKey, settings.apiKeySource, settings.profile);
  }
  if (!apiKey) {
    if (!ctx.interactive) {
      throw new UsageError(
        'No API key to log in with, and there is no terminal to ask on.',
        'Pass --api-key KEY (or set V2K_API_KEY), or pipe it in: `echo "$KEY" | v2k-webhooks login --with-token`.',
      );
    }
    ctx.output.info(`Logging in to ${settings.apiUrl} as profile "${settings.profile}".`);
    apiKey = (await askSecret(ctx, 'API key')).trim();
    checkApiKey(apiKey, 'prompt', settings.profile);
  }

  const client = patient(createApiClient({ baseUrl: settings.apiUrl, apiKey, signal: ctx.stopSignal }), ctx);
  const webhooks = await client.listWebhooks(); // a rejected key throws ApiError 401 → exit 3, and nothing is saved
  await store.set(settings.profile, { apiUrl: client.baseUrl, apiKey });

  const masked = maskKey(apiKey);
  ctx.output.result(
    {
      profile: settings.profile,
      apiUrl: client.baseUrl,
      apiKey: masked,
      webhooks: webhooks.length,
      configPath: store.path,
      ...(store.broken ? { brokenConfigKeptAs: store.broken.backup } : {}),
    },
    () =>
      [
        `Logged in to ${client.baseUrl} with key ${masked} (${webhooks.length} webhook${webhooks.length === 1 ? '' : 's'}).`,
        `Saved as profile "${settings.profile}" in ${store.path}.`,
      ].join('\n'),
  );
  if (store.broken)
    ctx.output.warn(
      `The config file ${store.broken.problem}: it is kept as ${store.broken.backup}, and a new one holds this profile only.`,
    );
}
