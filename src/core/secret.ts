import { createHmac, randomBytes } from 'node:crypto';
import { ExitCode, V2kError } from './errors.js';
import type { RawPayload } from './signature.js';

export const SECRET_PREFIX = 'whsec_';

/** Base64 or base64url text, padding only at the end. Anchored, one class: it cannot backtrack. */
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;
const BASE64_CHAR = /^[A-Za-z0-9+/_-]$/;

/** The two HMAC keys one secret gives (SPEC §2). */
export interface SigningKeys {
  /** X-V2K-Signature's key: the whole secret as UTF-8, `whsec_` included. */
  v2k: Buffer;
  /** Standard Webhooks' key: the bytes the base64 after `whsec_` encodes. */
  standard: Buffer;
}

/**
 * A secret that cannot be used: empty, the bare `whsec_` prefix, not base64, or decoding to no
 * key bytes. Signing or verifying with one would let anyone forge (issue 14), so it is refused.
 */
export class SecretError extends V2kError {
  constructor(message: string) {
    super(message, {
      code: 'invalid_secret',
      exitCode: ExitCode.USAGE,
      hint: 'Use the secret `create` or `rotate-secret` printed: whsec_ followed by base64 (of 24 random bytes).',
    });
  }
}

/** Makes a new secret: `whsec_` + base64 of 24 random bytes (SPEC §2). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

/**
 * The keys of a secret, or a sentence saying why it cannot be used. Never says the secret itself.
 * `name` is how the sentence refers to it (`The secret`, `Secret #2 of 3`).
 */
export function readSecret(secret: unknown, name = 'The secret'): SigningKeys | string {
  if (typeof secret !== 'string') return `${name} is not a string (got ${secret === null ? 'null' : typeof secret}).`;
  if (secret.length === 0) return `${name} is empty.`;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const offset = secret.length - encoded.length;
  if (encoded.length === 0) {
    return `${name} is only the prefix ${SECRET_PREFIX}, which everyone knows: anyone could sign with it.`;
  }
  if (!BASE64_TEXT.test(encoded)) {
    const chars = [...encoded];
    let padFrom = chars.length;
    while (padFrom > 0 && padFrom > chars.length - 2 && chars[padFrom - 1] === '=') padFrom--;
    const at = chars.findIndex((c, i) => !(BASE64_CHAR.test(c) || (c === '=' && i >= padFrom)));
    const char = chars[at] ?? '';
    const what = /\s/.test(char) ? 'a space or line break' : JSON.stringify(char);
    return `${name} has ${what} at character ${offset + at + 1}, which is not base64. Check for a typo or a stray quote or newline.`;
  }
  const standard = Buffer.from(encoded, 'base64');
  if (standard.length === 0) {
    return `${name} decodes to no key bytes: it needs base64 of the key after ${SECRET_PREFIX} (24 random bytes make 32 characters).`;
  }
  return { v2k: Buffer.from(secret, 'utf8'), standard };
}

/** The keys of a secret; throws SecretError saying what is wrong with it. */
export function secretKeys(secret: string, name?: string): SigningKeys {
  const keys = readSecret(secret, name);
  if (typeof keys === 'string') throw new SecretError(keys);
  return keys;
}

/** How messages refer to secret `index` of a list of `count` (a rotation). */
export function secretName(index: number, count: number): string {
  return count === 1 ? 'The secret' : `Secret #${index + 1} of ${count}`;
}

/** X-V2K-Signature's MAC: hex HMAC-SHA256 of the exact bytes. */
export function v2kMac(keys: SigningKeys, payload: RawPayload): string {
  return createHmac('sha256', keys.v2k).update(payload).digest('hex');
}

/** Base64 HMAC over `id.timestamp.body`; a string body goes in one update (one trip into the hash, not two). */
export function standardMac(key: Buffer, id: string, timestamp: number | string, payload: RawPayload): string {
  const mac = createHmac('sha256', key);
  return (
    typeof payload === 'string'
      ? mac.update(`${id}.${timestamp}.${payload}`)
      : mac.update(`${id}.${timestamp}.`).update(payload)
  ).digest('base64');
}
