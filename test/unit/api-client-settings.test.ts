import { describe, expect, it } from 'vitest';
import { checkApiKey, missingKeyError, resolveSettings } from '../../src/cli/api.js';
import { CredentialsError } from '../../src/core/errors.js';
import type { Profile } from '../../src/cli/config.js';
import { maskKey } from '../../src/cli/config.js';

const PROD = 'https://v2k-music.com';
const LOCAL = 'http://127.0.0.1:4000';
const profiles: Record<string, Profile> = {
  default: { apiKey: 'key_default_profile' },
  local: { apiUrl: LOCAL, apiKey: 'key_local_profile' },
};

describe('resolveSettings: flag > environment > saved profile > default (SPEC §5)', () => {
  it.each([
    [
      'nothing given: default profile, default URL',
      {},
      {},
      { profile: 'default', apiUrl: PROD, apiKey: 'key_default_profile', apiKeySource: 'profile' },
    ],
    [
      'V2K_PROFILE picks a profile',
      {},
      { V2K_PROFILE: 'local' },
      { profile: 'local', apiUrl: LOCAL, apiKey: 'key_local_profile', apiUrlSource: 'profile' },
    ],
    [
      '--profile beats V2K_PROFILE',
      { profile: 'default' },
      { V2K_PROFILE: 'local' },
      { profile: 'default', apiUrl: PROD },
    ],
    [
      'V2K_API_KEY beats the profile',
      {},
      { V2K_PROFILE: 'local', V2K_API_KEY: 'key_env' },
      { apiUrl: LOCAL, apiKey: 'key_env', apiKeySource: 'env' },
    ],
    [
      '--api-key beats V2K_API_KEY',
      { apiKey: 'key_flag' },
      { V2K_API_KEY: 'key_env' },
      { apiKey: 'key_flag', apiKeySource: 'flag' },
    ],
    [
      'V2K_API_URL beats the profile',
      {},
      { V2K_PROFILE: 'local', V2K_API_URL: 'http://127.0.0.1:5000', V2K_API_KEY: 'k' },
      { apiUrl: 'http://127.0.0.1:5000', apiUrlSource: 'env' },
    ],
    [
      '--api-url beats V2K_API_URL',
      { apiUrl: 'http://127.0.0.1:6000' },
      { V2K_API_URL: 'http://127.0.0.1:5000' },
      { apiUrl: 'http://127.0.0.1:6000', apiUrlSource: 'flag' },
    ],
    [
      'empty variables count as unset',
      {},
      { V2K_API_KEY: '', V2K_API_URL: ' ', V2K_PROFILE: '' },
      { profile: 'default', apiUrl: PROD, apiKey: 'key_default_profile' },
    ],
    [
      'a saved key follows its own URL, whatever the slash',
      { apiUrl: `${LOCAL}/` },
      { V2K_PROFILE: 'local' },
      { apiKey: 'key_local_profile' },
    ],
    [
      'a saved key is not sent to another URL',
      { apiUrl: 'http://127.0.0.1:9999' },
      {},
      { apiKey: undefined, keyWithheld: { savedFor: PROD } },
    ],
    [
      'an unknown profile has no key',
      { profile: 'staging' },
      {},
      { profile: 'staging', saved: undefined, apiKey: undefined, apiUrl: PROD },
    ],
    [
      'a URL given by flag finds the key of the profile saved for exactly that URL (issue 17)',
      { apiUrl: `${LOCAL}/` },
      {},
      { profile: 'default', apiKey: 'key_local_profile', apiKeySource: 'profile', keyProfile: 'local' },
    ],
    ['and by environment', {}, { V2K_API_URL: LOCAL }, { apiKey: 'key_local_profile', keyProfile: 'local' }],
    [
      'but not when --profile chose another profile',
      { apiUrl: LOCAL, profile: 'default' },
      {},
      { apiKey: undefined, keyWithheld: { savedFor: PROD } },
    ],
    ['nor for another path on the same host', { apiUrl: `${LOCAL}/v2` }, {}, { apiKey: undefined }],
  ])('%s', (_name, globals, env, expected) => {
    expect(resolveSettings(globals, env, { profiles })).toMatchObject(expected);
  });

  it('`config use` sets the profile used when neither flag nor environment names one', () => {
    expect(resolveSettings({}, {}, { profiles, defaultProfile: 'local' })).toMatchObject({
      profile: 'local',
      profileSource: 'config',
      apiUrl: LOCAL,
      apiKey: 'key_local_profile',
    });
    expect(resolveSettings({}, { V2K_PROFILE: 'default' }, { profiles, defaultProfile: 'local' })).toMatchObject({
      profile: 'default',
      profileSource: 'env',
    });
  });

  it('two profiles with different keys for the URL: no key, and the error names both', () => {
    const both = { ...profiles, other: { apiUrl: LOCAL, apiKey: 'key_other_profile' } };
    const settings = resolveSettings({ apiUrl: LOCAL }, {}, { profiles: both });
    expect(settings).toMatchObject({ apiKey: undefined, keyAmbiguous: ['local', 'other'] });
    expect(missingKeyError(settings).message).toMatch(/profiles "local", "other" hold different keys/);
    const same = { ...profiles, copy: { apiUrl: LOCAL, apiKey: 'key_local_profile' } };
    expect(resolveSettings({ apiUrl: LOCAL }, {}, { profiles: same }).apiKey).toBe('key_local_profile');
  });

  it('refuses a profile name that is not plain', () => {
    expect(() => resolveSettings({ profile: '../x' }, {}, { profiles })).toThrow(/Bad profile name/);
  });
});

describe('missingKeyError', () => {
  it.each([
    [{}, {}, /No API key for https:\/\/v2k-music.com/, /v2k-webhooks login` or set V2K_API_KEY/],
    [{ profile: 'staging' }, {}, /profile "staging" is not saved/, /login --profile staging/],
    [{ apiUrl: 'http://127.0.0.1:9999' }, {}, /is for https:\/\/v2k-music.com/, /--api-url http:\/\/127.0.0.1:9999/],
  ])('%j', (globals, env, message, hint) => {
    const error = missingKeyError(
      resolveSettings(globals, env, { profiles: { default: { apiKey: 'k_default_key' } } }),
    );
    expect(error.exitCode).toBe(3);
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(hint);
  });
});

describe('maskKey', () => {
  it.each([
    ['v2k_live_abcdef123456', 'v2k_…3456'],
    ['short', '****'],
    ['', undefined],
    [undefined, undefined],
  ])('%s → %s', (key, masked) => {
    expect(maskKey(key)).toBe(masked);
    if (key && masked) expect(masked).not.toContain(key);
  });
});

describe('checkApiKey: printable ASCII, no spaces', () => {
  it.each([['v2k_live_abc123'], ['k'], ['a!#$%&()*+,-./:;<=>?@[]^_`{|}~z']])('accepts %j', (key) => {
    expect(() => checkApiKey(key, 'flag')).not.toThrow();
  });

  it.each([
    ['abc\r\ndef', 'a line break'],
    ['abc def', 'a space'],
    ['abc\u00a0def', 'a space'],
    ['abc\tdef', 'a tab'],
    ['abc\u0000def', 'a control character'],
    ['abcdéf', 'a character outside printable ASCII'],
    ['a b\nc', 'a space, a line break'],
  ])('refuses %j: %s, exit 3, without the key', (key, found) => {
    let error: unknown;
    try {
      checkApiKey(key, 'env');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).exitCode).toBe(3);
    expect((error as CredentialsError).message).toBe(
      `The API key in V2K_API_KEY has characters an API key cannot have (${found}).`,
    );
    expect((error as CredentialsError).hint).toMatch(/unset V2K_API_KEY/);
  });
});
