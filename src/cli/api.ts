import type { ApiClient } from '../core/api-client.js';
import { formatDuration } from '../core/duration.js';
import { CredentialsError, UsageError } from '../core/errors.js';
import {
  DEFAULT_API_URL,
  DEFAULT_PROFILE,
  checkProfileName,
  openConfig,
  type ConfigData,
  type Profile,
} from './config.js';
import type { Context, GlobalOptions } from './context.js';
import { withPatience } from './prompts.js';

export type Source = 'flag' | 'env' | 'profile' | 'default';

/** Where the API is, which key to use and where each came from (SPEC §5: flag > env > profile > default). */
export interface Settings {
  profile: string;
  /** `config`: the default profile chosen with `config use`. */
  profileSource: 'flag' | 'env' | 'config' | 'default';
  /** The saved profile, when there is one. */
  saved: Profile | undefined;
  apiUrl: string;
  apiUrlSource: Source;
  apiKey: string | undefined;
  apiKeySource: Exclude<Source, 'default'> | undefined;
  /** The profile whose saved key is used: `profile`, or another one saved for this very URL. */
  keyProfile?: string;
  /** Set when the profile's key was left out because it was saved for another URL. */
  keyWithheld?: { savedFor: string };
  /** Set when several profiles hold different keys for this URL, so none was picked. */
  keyAmbiguous?: string[];
}

/** What resolveSettings reads of the config file. */
export type SavedConfig = Pick<ConfigData, 'profiles' | 'defaultProfile'>;

/**
 * Resolves the settings of one run. A saved key is bound to the URL it was saved with: it is
 * never sent to another URL given by flag or environment (as gh binds tokens to hosts), so
 * `--api-url http://somewhere` cannot leak the platform key. The other way round, a URL given by
 * flag or environment finds the key of the profile saved for exactly that URL (same scheme,
 * host, port and path; a trailing slash aside), unless --profile or V2K_PROFILE chose a profile.
 */
export function resolveSettings(globals: GlobalOptions, env: NodeJS.ProcessEnv, config: SavedConfig): Settings {
  const { profiles } = config;
  const [profile, profileSource] = pick<Settings['profileSource']>(
    [nonEmpty(globals.profile), 'flag'],
    [nonEmpty(env.V2K_PROFILE), 'env'],
    [nonEmpty(config.defaultProfile), 'config'],
    [DEFAULT_PROFILE, 'default'],
  ) as [string, Settings['profileSource']];
  const problem = checkProfileName(profile);
  if (problem)
    throw new UsageError(
      `Bad profile name ${JSON.stringify(profile)}: ${problem}.`,
      'Pass --profile NAME or set V2K_PROFILE.',
    );
  const saved = Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;

  const [apiUrl, apiUrlSource] = pick<Source>(
    [nonEmpty(globals.apiUrl), 'flag'],
    [nonEmpty(env.V2K_API_URL), 'env'],
    [nonEmpty(saved?.apiUrl), 'profile'],
    [DEFAULT_API_URL, 'default'],
  ) as [string, Source];

  let [apiKey, apiKeySource] = pick<'flag' | 'env' | 'profile'>(
    [nonEmpty(globals.apiKey), 'flag'],
    [nonEmpty(env.V2K_API_KEY), 'env'],
    [nonEmpty(saved?.apiKey), 'profile'],
  );
  const settings: Settings = { profile, profileSource, saved, apiUrl, apiUrlSource, apiKey, apiKeySource };
  if (apiKeySource === 'profile') {
    const savedFor = saved?.apiUrl ?? DEFAULT_API_URL;
    if (sameUrl(savedFor, apiUrl) === false) {
      settings.keyWithheld = { savedFor };
      apiKey = undefined;
      apiKeySource = undefined;
    } else settings.keyProfile = profile;
  }
  if (apiKey === undefined && (profileSource === 'config' || profileSource === 'default')) {
    const matching = Object.entries(profiles).filter(
      ([, p]) => nonEmpty(p.apiKey) !== undefined && sameUrl(p.apiUrl ?? DEFAULT_API_URL, apiUrl) === true,
    );
    const keys = new Set(matching.map(([, p]) => nonEmpty(p.apiKey)));
    if (keys.size === 1) {
      const [name, match] = matching[0] as [string, Profile];
      apiKey = nonEmpty(match.apiKey);
      apiKeySource = 'profile';
      settings.keyProfile = name;
      delete settings.keyWithheld;
    } else if (keys.size > 1) settings.keyAmbiguous = matching.map(([name]) => name);
  }
  return { ...settings, apiKey, apiKeySource };
}

/** The error for "no key": what was looked at, and how to give one. */
export function missingKeyError(settings: Settings): CredentialsError {
  const login = `v2k-webhooks login${settings.profile === DEFAULT_PROFILE ? '' : ` --profile ${settings.profile}`}`;
  if (settings.keyAmbiguous) {
    return new CredentialsError(
      `No API key for ${settings.apiUrl}: profiles ${settings.keyAmbiguous.map((n) => `"${n}"`).join(', ')} hold different keys for it.`,
      `Choose one with --profile NAME (or V2K_PROFILE), or pass --api-key.`,
    );
  }
  if (settings.keyWithheld) {
    return new CredentialsError(
      `No API key for ${settings.apiUrl}: the key saved in profile "${settings.profile}" is for ${settings.keyWithheld.savedFor}, and a saved key is only sent to its own URL.`,
      `Run \`${login} --api-url ${settings.apiUrl}\`, or pass --api-key / set V2K_API_KEY.`,
    );
  }
  if (settings.profileSource !== 'default' && !settings.saved) {
    return new CredentialsError(
      `No API key: profile "${settings.profile}" is not saved.`,
      `Run \`${login}\` or set V2K_API_KEY (\`v2k-webhooks config list\` shows the saved profiles${settings.profileSource === 'config' ? '; `v2k-webhooks config use NAME` picks another' : ''}).`,
    );
  }
  return new CredentialsError(`No API key for ${settings.apiUrl}.`, `Run \`${login}\` or set V2K_API_KEY.`);
}

/** What an API key may hold: printable ASCII, no spaces (it goes into an HTTP header as it is). */
const API_KEY_PATTERN = /^[\x21-\x7e]+$/;

/** Where a key came from, for saying which one to fix. */
export type KeyOrigin = Exclude<Source, 'default'> | 'prompt' | 'argument';

/**
 * Refuses a key that cannot be one (a line break or space pasted in, say), which would
 * otherwise fail deep in the HTTP client as "Could not reach … (UND_ERR_INVALID_ARG)". The
 * message names the kind of character and where the key came from, never the key.
 */
export function checkApiKey(key: string, origin: KeyOrigin, profile = DEFAULT_PROFILE): void {
  if (API_KEY_PATTERN.test(key)) return;
  const found = [...new Set([...key].filter((c) => !API_KEY_PATTERN.test(c)).map(describeCharacter))].join(', ');
  const login = `v2k-webhooks login${profile === DEFAULT_PROFILE ? '' : ` --profile ${profile}`}`;
  const where = {
    flag: ['The API key given with --api-key', 'Pass the key exactly as the V2K dashboard shows it, on one line.'],
    env: [
      'The API key in V2K_API_KEY',
      `Set V2K_API_KEY again to the key alone, or unset it (\`unset V2K_API_KEY\`) to use the saved profile.`,
    ],
    profile: [`The API key saved in profile "${profile}"`, `Run \`${login}\` again to replace it.`],
    prompt: ['The API key typed', `Run \`${login}\` again and paste the key alone.`],
    argument: ['The API key given', 'Pass the key exactly as the V2K dashboard shows it, on one line.'],
  }[origin];
  throw new CredentialsError(`${where[0]} has characters an API key cannot have (${found}).`, where[1]);
}

function describeCharacter(c: string): string {
  if (c === ' ') return 'a space';
  if (c === '\r' || c === '\n') return 'a line break';
  if (c === '\t') return 'a tab';
  if (/\p{Cc}/u.test(c)) return 'a control character';
  if (/\s/u.test(c)) return 'a space';
  return 'a character outside printable ASCII';
}

/**
 * The API client of this run, with the URL and profile it resolved to. Throws CredentialsError
 * (exit 3) when there is no key. Used by every management command and by `listen --register`.
 * Its calls stop at the first Ctrl+C (`ctx.stopSignal`) unless `interruptible` is false: for a
 * command that still has API calls to make after the signal (listen deletes its webhook).
 */
export async function connect(
  ctx: Context,
  { interruptible = true }: { interruptible?: boolean } = {},
): Promise<{ client: ApiClient; apiUrl: string; profile: string }> {
  // With the URL and the key both given (the usual CI case) the saved profiles cannot matter:
  // skip reading them, which also spares loading conf.
  const given = (flag: string | undefined, env: string | undefined) => Boolean(flag?.trim() || env?.trim());
  const complete = given(ctx.globals.apiUrl, ctx.env.V2K_API_URL) && given(ctx.globals.apiKey, ctx.env.V2K_API_KEY);
  const saved = complete ? { profiles: {} } : (await openConfig()).data();
  const settings = resolveSettings(ctx.globals, ctx.env, saved);
  if (!settings.apiKey) throw missingKeyError(settings);
  checkApiKey(settings.apiKey, settings.apiKeySource ?? 'argument', settings.keyProfile ?? settings.profile);
  const { createApiClient } = await import('../core/api-client.js');
  const client = createApiClient({
    baseUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    signal: interruptible ? ctx.stopSignal : undefined,
  });
  return { client: patient(client, ctx), apiUrl: client.baseUrl, profile: settings.profile };
}

/**
 * The client, with a spinner on a terminal for any call not answered within a second, saying
 * what it waits for and when it gives up (issue 17: a hung API waited 30 s in silence).
 */
export function patient(client: ApiClient, ctx: Context): ApiClient {
  if (!ctx.interactive) return client;
  const limit = formatDuration(client.timeoutMs);
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(call instanceof Promise)) return call;
        return withPatience(
          ctx,
          call,
          (waited) =>
            `Waiting for ${target.baseUrl} (${formatDuration(Math.floor(waited / 1000) * 1000)} so far; gives up after ${limit}; Ctrl+C stops)`,
        );
      };
    },
  });
}

/** For messages: where a setting came from ("--api-url", "V2K_API_KEY", 'profile "local"', "the default"). */
export function describeSource(settings: Settings, key: 'api-url' | 'api-key'): string {
  const source = key === 'api-url' ? settings.apiUrlSource : settings.apiKeySource;
  const name = key === 'api-url' ? 'API_URL' : 'API_KEY';
  if (source === 'flag') return `--${key}`;
  if (source === 'env') return `V2K_${name}`;
  if (source === 'profile') {
    const profile = key === 'api-key' ? (settings.keyProfile ?? settings.profile) : settings.profile;
    return key === 'api-key' && profile !== settings.profile
      ? `profile "${profile}", saved for this URL`
      : `profile "${profile}"`;
  }
  return 'the default';
}

/** Equal after normalising (trailing slash, case of host, default port); undefined when either is not a URL. */
export function sameUrl(a: string, b: string): boolean | undefined {
  try {
    const norm = (u: string) => new URL(u).href.replace(/\/+$/, '');
    return norm(a) === norm(b);
  } catch {
    return undefined;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function pick<S extends string>(...candidates: Array<[string | undefined, S]>): [string | undefined, S | undefined] {
  for (const [value, source] of candidates) if (value !== undefined) return [value, source];
  return [undefined, undefined];
}
