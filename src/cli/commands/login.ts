import { UsageError } from '../../core/errors.js';
import { checkApiKey, resolveSettings } from '../api.js';
import { maskKey, openConfig } from '../config.js';
import type { Context } from '../context.js';
import { askSecret } from '../prompts.js';

/** `login`: takes a key (flag, V2K_API_KEY, or a masked prompt), checks it with a real call, saves the profile. */
export async function run(_options: Record<string, never>, ctx: Context): Promise<void> {
  const store = await openConfig();
  const settings = resolveSettings(ctx.globals, ctx.env, store.profiles());
  const { createApiClient } = await import('../../core/api-client.js');
  // Checked before any prompt, so a bad --api-url is reported before a key is typed.
  createApiClient({ baseUrl: settings.apiUrl });

  let apiKey = settings.apiKeySource === 'flag' || settings.apiKeySource === 'env' ? settings.apiKey : undefined;
  if (apiKey) checkApiKey(apiKey, settings.apiKeySource ?? 'argument', settings.profile);
  if (!apiKey) {
    if (!ctx.interactive) {
      throw new UsageError(
        'No API key to log in with, and there is no terminal to ask on.',
        'Pass --api-key KEY (or set V2K_API_KEY).',
      );
    }
    ctx.output.info(`Logging in to ${settings.apiUrl} as profile "${settings.profile}".`);
    apiKey = (await askSecret(ctx, 'API key')).trim();
    checkApiKey(apiKey, 'prompt', settings.profile);
  }

  const client = createApiClient({ baseUrl: settings.apiUrl, apiKey, signal: ctx.stopSignal });
  const webhooks = await client.listWebhooks(); // a rejected key throws ApiError 401 → exit 3, and nothing is saved
  store.set(settings.profile, { apiUrl: client.baseUrl, apiKey });

  const masked = maskKey(apiKey);
  ctx.output.result(
    {
      profile: settings.profile,
      apiUrl: client.baseUrl,
      apiKey: masked,
      webhooks: webhooks.length,
      configPath: store.path,
    },
    () =>
      [
        `Logged in to ${client.baseUrl} with key ${masked} (${webhooks.length} webhook${webhooks.length === 1 ? '' : 's'}).`,
        `Saved as profile "${settings.profile}" in ${store.path}.`,
      ].join('\n'),
  );
}
