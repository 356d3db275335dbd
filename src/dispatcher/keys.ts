import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ExitCode, V2kError } from '../core/errors.js';
import type { Store } from './store/index.js';
import { clip } from '../core/printable.js';

export interface UserKey {
  key: string;
  user: string;
}

export const DEV_USER = 'user_dev';

/**
 * `KEY:USER` as given to `--user-key`, in `V2K_DISPATCHER_KEYS` or a line of `--user-keys-file`
 * (issue 16); `source` names where it came from in the error.
 */
export function parseUserKey(value: string, source: string): UserKey {
  const colon = value.indexOf(':');
  const key = value.slice(0, colon);
  const user = value.slice(colon + 1);
  if (colon <= 0 || user === '' || /\s/.test(value)) {
    throw new V2kError(`${source}: ${JSON.stringify(clip(value, 80))} is not KEY:USER.`, {
      code: 'invalid_option',
      exitCode: ExitCode.USAGE,
      hint: 'Give a key and its user without spaces, e.g. sk_test_alice:user_alice.',
    });
  }
  return { key, user };
}

/** The keys of a `V2K_DISPATCHER_KEYS` value (comma-separated) or a keys file (one a line, `#` comments). */
export function parseUserKeyList(text: string, source: string): UserKey[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'))
    .map((item) => parseUserKey(item, source));
}

/**
 * The users' keys: those given, or else the dev key, made once for `user_dev` and kept in the
 * database. Given keys live in memory only.
 */
export function resolveUsers(
  given: readonly UserKey[] | undefined,
  store: Store,
): { users: Map<string, string>; devKey: string | undefined } {
  const users = new Map<string, string>();
  if (given && given.length > 0) {
    for (const { key, user } of given) {
      if (!key || !user || /\s/.test(key) || /\s/.test(user)) {
        throw new V2kError('Each user key needs a key and a user, without spaces (KEY:USER).', {
          code: 'invalid_option',
          exitCode: ExitCode.USAGE,
        });
      }
      users.set(key, user);
    }
    return { users, devKey: undefined };
  }
  const dev = store.transaction(() => {
    const existing = store.keys.findDevKey();
    if (existing) return { key: existing.key, user: existing.user_id };
    const key = `v2k_dev_${randomBytes(16).toString('hex')}`;
    store.keys.insertDevKey(key, DEV_USER);
    return { key, user: DEV_USER };
  });
  users.set(dev.key, dev.user);
  return { users, devKey: dev.key };
}

/**
 * The monitoring page's token (issue 16): made once and kept in the database, so a bookmarked
 * page URL keeps working across restarts; a new database (or `:memory:`) makes a new one.
 */
export function adminToken(store: Store): string {
  return store.transaction(() => {
    const existing = store.keys.findAdminToken();
    if (existing !== undefined) return existing;
    const token = randomBytes(24).toString('base64url');
    store.keys.insertAdminToken(token);
    return token;
  });
}

/** A constant-time check of a presented token: both sides hashed first, so lengths never differ. */
export function tokenMatcher(token: string): (presented: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (presented) =>
    presented !== undefined && timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
}
