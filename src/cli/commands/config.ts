import { UsageError, V2kError } from '../../core/errors.js';
import { checkApiKey, describeSource, resolveSettings } from '../api.js';
import {
  CONFIG_KEYS,
  DEFAULT_API_URL,
  DEFAULT_PROFILE,
  checkProfileName,
  configPath,
  isConfigKey,
  maskKey,
  openConfig,
  type ConfigKey,
} from '../config.js';
import type { Context } from '../context.js';
import { table } from '../format.js';

/** `config get|set|list|path|use` over the saved profiles. Keys are only ever shown masked. */

function checkKey(key: string): ConfigKey {
  if (!isConfigKey(key)) {
    throw new UsageError(
      `Unknown setting ${JSON.stringify(key)}.`,
      `Use one of: ${Object.keys(CONFIG_KEYS).join(', ')}.`,
    );
  }
  return key;
}

/**
 * `config get <key>`: the value in effect for a command run with the same flags and environment,
 * and where it came from (flag, environment, profile or default). The value alone goes to stdout,
 * so `$(v2k-webhooks config get api-url)` works; where it came from goes to stderr.
 */
export async function get(options: { key: string }, ctx: Context): Promise<void> {
  const key = checkKey(options.key);
  const store = await openConfig();
  const settings = resolveSettings(ctx.globals, ctx.env, store.data());
  const raw = key === 'api-url' ? settings.apiUrl : settings.apiKey;
  if (raw === undefined) {
    throw new V2kError(`No api-key in effect (profile "${settings.profile}").`, {
      code: 'not_set',
      hint: settings.keyWithheld
        ? `The key of profile "${settings.profile}" is for ${settings.keyWithheld.savedFor}, not ${settings.apiUrl}.`
        : 'Run `v2k-webhooks login` to save one, or set V2K_API_KEY.',
    });
  }
  const value = key === 'api-key' ? (maskKey(raw) ?? '') : raw;
  const from = describeSource(settings, key);
  const source = key === 'api-url' ? settings.apiUrlSource : settings.apiKeySource;
  ctx.output.result({ profile: settings.profile, key, value, source, from }, () => value);
  if (!ctx.output.json) ctx.output.info(`(from ${from})`);
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
  const { profile, saved } = resolveSettings(ctx.globals, ctx.env, store.data());
  await store.set(profile, { ...saved, [CONFIG_KEYS[key]]: value });
  const shown = key === 'api-key' ? maskKey(value) : value;
  ctx.output.result({ profile, key, value: shown }, () => `Set ${key} of profile "${profile}" to ${shown}.`);
  if (key === 'api-key')
    ctx.output.info('The key was not checked; `v2k-webhooks login` checks a key before saving it.');
}

export async function list(_options: unknown, ctx: Context): Promise<void> {
  const store = await openConfig();
  const profiles = store.profiles();
  const active = resolveSettings(ctx.globals, ctx.env, store.data()).profile;
  const shown = Object.fromEntries(
    Object.entries(profiles).map(([name, p]) => [
      name,
      { apiUrl: p.apiUrl ?? DEFAULT_API_URL, apiKey: maskKey(p.apiKey) ?? null },
    ]),
  );
  const defaultProfile = store.data().defaultProfile ?? DEFAULT_PROFILE;
  ctx.output.result({ path: store.path, active, defaultProfile, profiles: shown }, () => {
    const rows = Object.entries(shown).map(([name, p]) => [
      `${name === active ? '* ' : '  '}${name}`,
      p.apiUrl,
      p.apiKey ?? '—',
    ]);
    if (rows.length === 0) return `No saved profiles (${store.path}). Run \`v2k-webhooks login\` to save one.`;
    return `${table(['  PROFILE', 'API URL', 'API KEY'], rows)}\n\n${store.path}`;
  });
}

/** `config path`: where the file is, without reading it, so it answers even when the file is broken. */
export function path(_options: unknown, ctx: Context): Promise<void> {
  const file = configPath(ctx.env);
  ctx.output.result({ path: file }, () => file);
  return Promise.resolve();
}

/** `config use <profile>`: the profile commands use when --profile and V2K_PROFILE say nothing (gh auth switch). */
export async function use(options: { profile: string }, ctx: Context): Promise<void> {
  const name = options.profile.trim();
  const problem = checkProfileName(name);
  if (problem) throw new UsageError(`Bad profile name ${JSON.stringify(name)}: ${problem}.`);
  const store = await openConfig();
  const profiles = store.profiles();
  if (!Object.hasOwn(profiles, name) && name !== DEFAULT_PROFILE) {
    const known = Object.keys(profiles);
    throw new UsageError(
      `Profile "${name}" is not saved.`,
      known.length === 0
        ? `Save it first: \`v2k-webhooks login --profile ${name}\`.`
        : `Saved profiles: ${known.join(', ')}. Or save it first: \`v2k-webhooks login --profile ${name}\`.`,
    );
  }
  await store.setDefaultProfile(name === DEFAULT_PROFILE ? undefined : name);
  ctx.output.result({ defaultProfile: name }, () => `Commands now use profile "${name}" by default.`);
  if ((ctx.env.V2K_PROFILE ?? '').trim() !== '')
    ctx.output.warn(`V2K_PROFILE=${ctx.env.V2K_PROFILE} is set in this environment, and wins over the default.`);
}

export const run = list;
