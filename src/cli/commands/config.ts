import { UsageError, V2kError } from '../../core/errors.js';
import { checkApiKey, resolveSettings } from '../api.js';
import { CONFIG_KEYS, DEFAULT_API_URL, isConfigKey, maskKey, openConfig, type ConfigKey } from '../config.js';
import type { Context } from '../context.js';
import { table } from '../format.js';

/** `config get|set|list|path` over the saved profiles. Keys are only ever shown masked. */

function checkKey(key: string): ConfigKey {
  if (!isConfigKey(key)) {
    throw new UsageError(
      `Unknown setting ${JSON.stringify(key)}.`,
      `Use one of: ${Object.keys(CONFIG_KEYS).join(', ')}.`,
    );
  }
  return key;
}

export async function get(options: { key: string }, ctx: Context): Promise<number | void> {
  const key = checkKey(options.key);
  const store = await openConfig();
  const { profile, saved } = resolveSettings(ctx.globals, ctx.env, store.profiles());
  const raw = saved?.[CONFIG_KEYS[key]];
  if (raw === undefined) {
    throw new V2kError(`${key} is not set in profile "${profile}".`, {
      code: 'not_set',
      hint:
        key === 'api-key'
          ? 'Run `v2k-webhooks login` to save one.'
          : `Commands use ${DEFAULT_API_URL} unless --api-url or V2K_API_URL says otherwise.`,
    });
  }
  const value = key === 'api-key' ? maskKey(raw) : raw;
  ctx.output.result({ profile, key, value }, () => value ?? '');
}

export async function set(options: { key: string; value: string }, ctx: Context): Promise<void> {
  const key = checkKey(options.key);
  const value = options.value.trim();
  if (value === '')
    throw new UsageError(`The value of ${key} is empty.`, 'To forget a profile, run `v2k-webhooks logout`.');
  if (key === 'api-key') checkApiKey(value, 'argument');
  if (key === 'api-url') {
    const { createApiClient } = await import('../../core/api-client.js');
    createApiClient({ baseUrl: value }); // throws a usage error for anything but an http(s) URL
  }
  const store = await openConfig();
  const { profile, saved } = resolveSettings(ctx.globals, ctx.env, store.profiles());
  store.set(profile, { ...saved, [CONFIG_KEYS[key]]: value });
  const shown = key === 'api-key' ? maskKey(value) : value;
  ctx.output.result({ profile, key, value: shown }, () => `Set ${key} of profile "${profile}" to ${shown}.`);
  if (key === 'api-key')
    ctx.output.info('The key was not checked; `v2k-webhooks login` checks a key before saving it.');
}

export async function list(_options: unknown, ctx: Context): Promise<void> {
  const store = await openConfig();
  const profiles = store.profiles();
  const active = resolveSettings(ctx.globals, ctx.env, profiles).profile;
  const shown = Object.fromEntries(
    Object.entries(profiles).map(([name, p]) => [
      name,
      { apiUrl: p.apiUrl ?? DEFAULT_API_URL, apiKey: maskKey(p.apiKey) ?? null },
    ]),
  );
  ctx.output.result({ path: store.path, active, profiles: shown }, () => {
    const rows = Object.entries(shown).map(([name, p]) => [
      `${name === active ? '* ' : '  '}${name}`,
      p.apiUrl,
      p.apiKey ?? '—',
    ]);
    if (rows.length === 0) return `No saved profiles (${store.path}). Run \`v2k-webhooks login\` to save one.`;
    return `${table(['  PROFILE', 'API URL', 'API KEY'], rows)}\n\n${store.path}`;
  });
}

export async function path(_options: unknown, ctx: Context): Promise<void> {
  const store = await openConfig();
  ctx.output.result({ path: store.path }, () => store.path);
}

export const run = list;
