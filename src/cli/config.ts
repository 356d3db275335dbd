import { chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { V2kError } from '../core/errors.js';

/** One saved profile: where the API is and the key for it. */
export interface Profile {
  apiUrl?: string;
  apiKey?: string;
}

interface StoreShape {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';
export const DEFAULT_API_URL = 'https://v2k-music.com';

/** The settings `config get|set` knows, with the profile field each maps to. */
export const CONFIG_KEYS = { 'api-url': 'apiUrl', 'api-key': 'apiKey' } as const satisfies Record<
  string,
  keyof Profile
>;
export type ConfigKey = keyof typeof CONFIG_KEYS;

export interface ConfigStore {
  readonly path: string;
  profiles(): Record<string, Profile>;
  get(name: string): Profile | undefined;
  set(name: string, profile: Profile): void;
  remove(name: string): boolean;
}

/**
 * The saved profiles (conf), in `$XDG_CONFIG_HOME/v2k-webhooks/config.json` (~/.config/… by
 * default), written with mode 0600 in a 0700 directory because it holds API keys (SPEC §5).
 */
export async function openConfig(): Promise<ConfigStore> {
  const { default: Conf } = await keepOwnStopHandling(() => import('conf'));
  let conf: InstanceType<typeof Conf<StoreShape>>;
  try {
    conf = new Conf<StoreShape>({
      projectName: 'v2k-webhooks',
      projectSuffix: '',
      configFileMode: 0o600,
      defaults: { profiles: {} },
      accessPropertiesByDotNotation: false,
    });
  } catch (error) {
    if (isFileSystemError(error)) throw unwritable(error, 'opened');
    throw new V2kError(
      `The config file could not be read: ${error instanceof Error ? error.message : String(error)}.`,
      {
        code: 'bad_config',
        hint: 'Fix or delete it (`v2k-webhooks config path` shows where it is), then run `v2k-webhooks login` again.',
        cause: error,
      },
    );
  }
  const path = conf.path;
  tighten(path);
  const read = (): Record<string, Profile> => {
    const profiles = conf.get('profiles');
    return typeof profiles === 'object' && profiles !== null ? { ...profiles } : {};
  };
  const write = (profiles: Record<string, Profile>) => {
    try {
      conf.set('profiles', profiles);
    } catch (error) {
      throw isFileSystemError(error) ? unwritable(error, 'saved', path) : error;
    }
    tighten(path);
  };
  return {
    path,
    profiles: read,
    get: (name) => (Object.hasOwn(read(), name) ? read()[name] : undefined),
    set(name, profile) {
      const clean = Object.fromEntries(
        Object.entries(profile).filter(([, v]) => v !== undefined && v !== ''),
      ) as Profile;
      write({ ...read(), [name]: clean });
    },
    remove(name) {
      const profiles = read();
      if (!Object.hasOwn(profiles, name)) return false;
      delete profiles[name];
      write(profiles);
      return true;
    },
  };
}

/** conf creates the file 0600; an older file or the directory may be looser, so both are narrowed on every write. */
function tighten(path: string): void {
  try {
    chmodSync(path, 0o600);
    chmodSync(dirname(path), 0o700);
  } catch (error) {
    // Not written yet (ENOENT), a file system without modes (EPERM), or a read-only one (EROFS,
    // where reading still works and writing says why it cannot): nothing to narrow.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM' && code !== 'EROFS') throw error;
  }
}

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (
    typeof code === 'string' && ['EACCES', 'EPERM', 'EROFS', 'ENOENT', 'ENOTDIR', 'ENOSPC', 'EISDIR'].includes(code)
  );
}

/** A config directory or file that cannot be created or written (issue 16): the path and the way out, not a bug report. */
function unwritable(error: NodeJS.ErrnoException, what: 'opened' | 'saved', file?: string): V2kError {
  const where = file ?? error.path ?? 'the config directory';
  const why =
    error.code === 'EROFS'
      ? 'it is on a read-only file system'
      : error.code === 'ENOSPC'
        ? 'the disk is full'
        : error.code === 'EACCES' || error.code === 'EPERM'
          ? 'this user may not write there'
          : `${error.code ?? 'it'}: it cannot be created there`;
  return new V2kError(`The config file could not be ${what}: ${where} cannot be written (${why}).`, {
    code: 'config_unwritable',
    hint: 'Set XDG_CONFIG_HOME to a directory you can write (or fix that one), or pass --api-url and --api-key (or V2K_API_URL and V2K_API_KEY) instead of a saved profile.',
    cause: error,
  });
}

/** `v2k_live_abcdef123456` → `v2k_…3456`: enough to tell keys apart, never the whole key. */
export function maskKey(key: string | undefined): string | undefined {
  if (key === undefined || key === '') return undefined;
  if (key.length < 12) return '****';
  return `${key.slice(0, 4)}…${key.slice(-4)}`;
}

export function isConfigKey(value: string): value is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, value);
}

/** Profile names end up as JSON keys and in messages: keep them plain. */
export function checkProfileName(name: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)
    ? undefined
    : 'use letters, digits, ".", "_" or "-" (at most 64)';
}

/**
 * conf (through atomically → when-exit) hooks SIGINT/SIGTERM when it loads and, on a signal,
 * sends the same signal again, which main.ts takes for a second Ctrl+C and exits 130 at once —
 * before a long-running command (listen --register) has cleaned up. Drop the signal hooks it
 * added: its cleanup still runs on the process's `exit` event, and main.ts owns the signals.
 */
async function keepOwnStopHandling<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  try {
    return await load();
  } finally {
    for (const signal of signals) {
      for (const listener of process.listeners(signal))
        if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
}
