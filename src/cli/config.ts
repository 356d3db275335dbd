import { chmodSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { V2kError } from '../core/errors.js';

/** One saved profile: where the API is and the key for it. */
export interface Profile {
  apiUrl?: string;
  apiKey?: string;
}

/** What `listen --register` keeps of the webhook it made, so the next run reuses it and its secret (issue 17). */
export interface ListenerRecord {
  /** The URL the webhook delivers to. */
  url: string;
  secret: string;
  /** Set for a webhook deleted on stop (a system-picked port): while this process lives, it is in use. */
  pid?: number;
}

/** The config file, once checked: every field has the type the code relies on. */
export interface ConfigData {
  profiles: Record<string, Profile>;
  /** The profile used when neither --profile nor V2K_PROFILE names one (`config use`). */
  defaultProfile?: string;
  /** By API URL, then by webhook id. */
  listeners?: Record<string, Record<string, ListenerRecord>>;
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
  /** Set in repair mode when the file was broken: it is moved to `backup` at the first write. */
  readonly broken: { problem: string; backup: string } | undefined;
  data(): ConfigData;
  profiles(): Record<string, Profile>;
  set(name: string, profile: Profile): Promise<void>;
  /** False when there was no such profile. Forgetting the default profile (`config use`) resets it. */
  remove(name: string): Promise<boolean>;
  setDefaultProfile(name: string | undefined): Promise<void>;
  listener(apiUrl: string, webhookId: string): ListenerRecord | undefined;
  saveListener(apiUrl: string, webhookId: string, record: ListenerRecord | undefined): Promise<void>;
  /** Forgets everything: profiles, the default profile and listener secrets. */
  clear(): Promise<void>;
}

/**
 * Where the config file is: `$XDG_CONFIG_HOME/v2k-webhooks/config.json` (~/.config/… by
 * default; conf's own rule per platform). Known without reading anything, so `config path`
 * answers even when the file is broken.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const name = 'v2k-webhooks';
  const home = homedir();
  const dir =
    process.platform === 'darwin'
      ? join(home, 'Library', 'Preferences', name)
      : process.platform === 'win32'
        ? join(env.APPDATA || join(home, 'AppData', 'Roaming'), name, 'Config')
        : join(env.XDG_CONFIG_HOME || join(home, '.config'), name);
  return join(dir, 'config.json');
}

/** A config file that cannot be used as it is: says which file and what is wrong with it. */
export class BadConfigError extends V2kError {
  constructor(path: string, problem: string) {
    super(`The config file ${path} ${problem}.`, {
      code: 'bad_config',
      hint: `Fix it by hand, or start a new one with \`v2k-webhooks login\` (it keeps the broken file as ${path}.bak); \`v2k-webhooks logout --all\` also starts over.`,
    });
  }
}

/**
 * The saved profiles, in the file of `configPath()`, written through conf with mode 0600 in a
 * 0700 directory because it holds API keys (SPEC §5). The file is read and checked here first:
 * a broken file is a BadConfigError naming it and the field at fault, never a TypeError later.
 * With `repair`, a broken file reads as empty and is moved to `config.json.bak` at the first
 * write — for the commands that must work on it (`login`, `logout --all`).
 */
export async function openConfig({ repair = false }: { repair?: boolean } = {}): Promise<ConfigStore> {
  const path = configPath();
  const read = readConfigFile(path);
  if ('problem' in read && !repair) throw new BadConfigError(path, read.problem);
  const broken = 'problem' in read ? { problem: read.problem, backup: `${path}.bak` } : undefined;
  let data: ConfigData = 'data' in read ? read.data : { profiles: {} };

  let conf: { store: ConfigData } | undefined;
  const save = async (next: ConfigData) => {
    const { default: Conf } = await keepOwnStopHandling(() => import('conf'));
    try {
      if (!conf) {
        if (broken) renameSync(path, broken.backup);
        conf = new Conf<ConfigData>({
          projectName: 'v2k-webhooks',
          cwd: dirname(path),
          configFileMode: 0o600,
          accessPropertiesByDotNotation: false,
        });
      }
      conf.store = next;
    } catch (error) {
      throw isFileSystemError(error) ? unwritable(error, path) : error;
    }
    data = next;
    tighten(path);
  };
  tighten(path);

  return {
    path,
    broken,
    data: () => data,
    profiles: () => ({ ...data.profiles }),
    set(name, profile) {
      const clean = Object.fromEntries(
        Object.entries(profile).filter(([, v]) => v !== undefined && v !== ''),
      ) as Profile;
      return save({ ...data, profiles: { ...data.profiles, [name]: clean } });
    },
    async remove(name) {
      if (!Object.hasOwn(data.profiles, name)) return false;
      const profiles = { ...data.profiles };
      delete profiles[name];
      const next: ConfigData = { ...data, profiles };
      if (next.defaultProfile === name) delete next.defaultProfile;
      await save(next);
      return true;
    },
    setDefaultProfile(name) {
      const next: ConfigData = { ...data };
      if (name === undefined) delete next.defaultProfile;
      else next.defaultProfile = name;
      return save(next);
    },
    listener(apiUrl, webhookId) {
      const forApi = data.listeners?.[apiUrl];
      return forApi && Object.hasOwn(forApi, webhookId) ? forApi[webhookId] : undefined;
    },
    saveListener(apiUrl, webhookId, record) {
      const forApi = { ...data.listeners?.[apiUrl] };
      if (record) forApi[webhookId] = record;
      else delete forApi[webhookId];
      const listeners = { ...data.listeners, [apiUrl]: forApi };
      if (Object.keys(forApi).length === 0) delete listeners[apiUrl];
      return save({ ...data, listeners });
    },
    clear: () => save({ profiles: {} }),
  };
}

/** The file, parsed and checked; a missing file is an empty config. */
export function readConfigFile(path: string): { data: ConfigData } | { problem: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { data: { profiles: {} } };
    return { problem: `cannot be read (${code ?? String(error)})` };
  }
  if (text.trim() === '') return { data: { profiles: {} } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `is not valid JSON (${(error as Error).message})` };
  }
  const problems = checkShape(value);
  if (problems.length > 0) return { problem: `has ${problems.slice(0, 3).join('; ')}` };
  const raw = value as Partial<ConfigData>;
  return { data: { ...raw, profiles: raw.profiles ?? {} } };
}

/** What is wrong with a parsed config, field by field ("profiles.local.apiUrl as the number 5; …"). */
function checkShape(value: unknown): string[] {
  if (!isObject(value)) return [`${describe(value)} where an object belongs`];
  const problems: string[] = [];
  const field = (path: string, got: unknown, expected: string) =>
    problems.push(`${path} as ${describe(got)} (it must be ${expected})`);
  const objectOf = (path: string, got: unknown, each: (key: string, item: unknown) => void) => {
    if (got === undefined) return;
    if (!isObject(got)) return field(path, got, 'an object');
    for (const [key, item] of Object.entries(got)) each(`${path}.${key}`, item);
  };
  objectOf('profiles', value.profiles, (path, profile) => {
    if (!isObject(profile)) return field(path, profile, 'an object');
    for (const name of ['apiUrl', 'apiKey'] as const)
      if (profile[name] !== undefined && typeof profile[name] !== 'string')
        field(`${path}.${name}`, profile[name], 'a string');
  });
  if (value.defaultProfile !== undefined && typeof value.defaultProfile !== 'string')
    field('defaultProfile', value.defaultProfile, 'a string');
  objectOf('listeners', value.listeners, (path, forApi) =>
    objectOf(path, forApi, (hookPath, record) => {
      if (!isObject(record)) return field(hookPath, record, 'an object');
      for (const name of ['url', 'secret'] as const)
        if (typeof record[name] !== 'string') field(`${hookPath}.${name}`, record[name], 'a string');
      if (record.pid !== undefined && !Number.isSafeInteger(record.pid))
        field(`${hookPath}.pid`, record.pid, 'a whole number');
    }),
  );
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'an object';
  return `the ${typeof value} ${JSON.stringify(value)}`;
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
function unwritable(error: NodeJS.ErrnoException, file: string): V2kError {
  const why =
    error.code === 'EROFS'
      ? 'it is on a read-only file system'
      : error.code === 'ENOSPC'
        ? 'the disk is full'
        : error.code === 'EACCES' || error.code === 'EPERM'
          ? 'this user may not write there'
          : `${error.code ?? 'it'}: it cannot be created there`;
  return new V2kError(`The config file could not be saved: ${file} cannot be written (${why}).`, {
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
