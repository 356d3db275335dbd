import type { ApiClient } from '../core/api-client.js';
import { formatDuration } from '../core/duration.js';
import { CredentialsError, UsageError } from '../core/errors.js';
import { DEFAULT_API_URL, DEFAULT_PROFILE, checkProfileName, maskKey, openConfig, type Profile } from './config.js';
import type { Context, GlobalOptions } from './context.js';
import { withPatience } from './prompts.js';

export type Source = 'flag' | 'env' | 'profile' | 'default';

/** Where the API is, which key to use and where each came from (SPEC §5: flag > env > profile > default). */
export interface Settings {
  profile: string;
  profileSource: Exclude<Source, 'profile'>;
  /** The saved profile, when there is one. */
  saved: Profile | undefined;
  apiUrl: string;
  apiUrlSource: Source;
  apiKey: string | undefined;
  apiKeySource: Exclude<Source, 'default'> | undefined;
  /** Set when the profile's key was left out because it was saved for another URL. */
  keyWithheld?: { savedFor: string };
}

/**
 * Resolves the settings of one run. A saved key is bound to the URL it was saved with: it is
 * never sent to another URL given by flag or environment (as gh binds tokens to hosts), so
 * `--api-url http://somewhere` cannot leak the platform key.
 */
export function resolveSettings(
  globals: GlobalOptions,
  env: NodeJS.ProcessEnv,
  profiles: Record<string, Profile>,
): Settings {
  const flagProfile = nonEmpty(globals.profile);
  const envProfile = nonEmpty(env.V2K_PROFILE);
  const profile = flagProfile ?? envProfile ?? DEFAULT_PROFILE;
  const profileSource = flagProfile ? 'flag' : envProfile ? 'env' : 'default';
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
  let keyWithheld: Settings['keyWithheld'];
  if (apiKeySource === 'profile') {
    const savedFor = saved?.apiUrl ?? DEFAULT_API_URL;
    if (sameUrl(savedFor, apiUrl) === false) {
      keyWithheld = { savedFor };
      apiKey = undefined;
      apiKeySource = undefined;
    }
  }
  return { profile, profileSource, saved, apiUrl, apiUrlSource, apiKey, apiKeySource, keyWithheld };
}

/** The error for "no key": what was looked at, and how to give one. */
export function missingKeyError(settings: Settings): CredentialsError {
  const login = `v2k-webhooks login${settings.profile === DEFAULT_PROFILE ? '' : ` --profile ${settings.profile}`}`;
  if (settings.keyWithheld) {
    return new CredentialsError(
      `No API key for ${settings.apiUrl}: the key saved in profile "${settings.profile}" is for ${settings.keyWithheld.savedFor}, and a saved key is only sent to its own URL.`,
      `Run \`${login} --api-url ${settings.apiUrl}\`, or pass --api-key / set V2K_API_KEY.`,
    );
  }
  if (settings.profileSource !== 'default' && !settings.saved) {
    return new CredentialsError(
      `No API key: profile "${settings.profile}" is not saved.`,
      `Run \`${login}\` or set V2K_API_KEY (\`v2k-webhooks config list\` shows the saved profiles).`,
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
  const profiles = complete ? {} : (await openConfig()).profiles();
  const settings = resolveSettings(ctx.globals, ctx.env, profiles);
  if (!settings.apiKey) throw missingKeyError(settings);
  checkApiKey(settings.apiKey, settings.apiKeySource ?? 'argument', settings.profile);
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

/** For messages: which key is in use, masked. */
export function describeKey(settings: Pick<Settings, 'apiKey' | 'apiKeySource'>): string {
  if (!settings.apiKey) return 'none';
  return `${maskKey(settings.apiKey)} (from ${settings.apiKeySource === 'flag' ? '--api-key' : settings.apiKeySource === 'env' ? 'V2K_API_KEY' : 'the profile'})`;
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
