import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src/core/api-client.js';
import { cli, tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { json, keyOf } from './setup.js';

// login / logout / config and the precedence of SPEC §5 (flag > environment > profile > default),
// against two real dispatchers so that "which URL was used" is observable.
const ALICE = 'alice_key_0123456789abcdef:alice';
const BOB = 'bob_key_0123456789abcdef:bob';
let one: RunningDispatcher;
let two: RunningDispatcher;
/** Alice has one webhook on `one`; Bob has two on `two`: a list tells which URL and key were used. */
beforeAll(async () => {
  [one, two] = await Promise.all([
    startDispatcher({ apiKeys: [ALICE, BOB] }),
    startDispatcher({ apiKeys: [ALICE, BOB] }),
  ]);
  await createApiClient({ baseUrl: one.url, apiKey: keyOf(ALICE) }).createWebhook({
    url: 'https://example.com/a',
    events: ['*'],
  });
  const bobOnTwo = createApiClient({ baseUrl: two.url, apiKey: keyOf(BOB) });
  await bobOnTwo.createWebhook({ url: 'https://example.com/b1', events: ['*'] });
  await bobOnTwo.createWebhook({ url: 'https://example.com/b2', events: ['*'] });
});

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
});

function inHome(home: string) {
  return (args: readonly string[], env: Record<string, string | undefined> = {}) =>
    cli(args, { env: { HOME: home, ...env } });
}

function configFile(home: string): string {
  return join(home, '.config', 'v2k-webhooks', 'config.json');
}

/** The key is never printed whole, on either stream. */
function expectNoWholeKey(result: Result, key: string): void {
  expect(String(result.stdout)).not.toContain(key);
  expect(String(result.stderr)).not.toContain(key);
}

async function count(run: ReturnType<typeof inHome>, args: string[], env?: Record<string, string>): Promise<number> {
  const result = await run(['--json', 'list', ...args], env);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return json<unknown[]>(result).length;
}

describe('login', () => {
  it('checks the key with a real call, saves it 0600 and never prints it whole', async () => {
    const home = tempHome();
    const run = inHome(home);
    const key = keyOf(ALICE);
    const result = await run(['login', '--api-url', one.url, '--api-key', key]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Logged in to http:\/\/127\.0\.0\.1:\d+ with key alic…cdef \(1 webhook\)/);
    expect(result.stdout).toContain(configFile(home));
    expectNoWholeKey(result, key);

    expect(statSync(configFile(home)).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.config', 'v2k-webhooks')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(configFile(home), 'utf8'))).toEqual({
      profiles: { default: { apiUrl: one.url, apiKey: key } },
    });

    // Later commands use the saved profile: no flag, no environment.
    expect(await count(run, [])).toBe(1);

    const asJson = await run(['--json', 'login', '--api-url', one.url, '--api-key', key, '--profile', 'ci']);
    expect(json(asJson)).toMatchObject({ profile: 'ci', apiUrl: one.url, apiKey: 'alic…cdef', webhooks: 1 });
    expectNoWholeKey(asJson, key);
  });

  it('takes the key from V2K_API_KEY', async () => {
    const home = tempHome();
    const result = await inHome(home)(['login', '--api-url', two.url], { V2K_API_KEY: keyOf(BOB) });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('(2 webhooks)');
  });

  it('refuses a rejected key with exit 3 and saves nothing', async () => {
    const home = tempHome();
    const result = await inHome(home)(['login', '--api-url', one.url, '--api-key', 'not_a_real_key_12345']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/The API key was rejected[\s\S]*v2k-webhooks login. or set V2K_API_KEY/);
    const saved = await inHome(home)(['--json', 'config', 'list']);
    expect(json(saved)).toMatchObject({ profiles: {} });
  });

  it('off a terminal without a key: exit 2 naming --api-key', async () => {
    const result = await inHome(tempHome())(['login', '--api-url', one.url]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Pass --api-key/);
  });
});

describe('precedence: flag > environment > saved profile > default', () => {
  it('resolves the URL, the key and the profile in that order', async () => {
    const home = tempHome();
    const run = inHome(home);
    // default → Alice on one; "bob" → Bob on two.
    expect((await run(['login', '--api-url', one.url, '--api-key', keyOf(ALICE)])).exitCode).toBe(0);
    expect((await run(['login', '--api-url', two.url, '--api-key', keyOf(BOB), '--profile', 'bob'])).exitCode).toBe(0);

    expect(await count(run, [])).toBe(1); // saved default profile
    expect(await count(run, [], { V2K_PROFILE: 'bob' })).toBe(2); // env profile
    expect(await count(run, ['--profile', 'default'], { V2K_PROFILE: 'bob' })).toBe(1); // flag beats env
    // Environment beats the profile: Bob's key on one (where Bob has none).
    expect(await count(run, [], { V2K_API_URL: one.url, V2K_API_KEY: keyOf(BOB) })).toBe(0);
    // Flags beat the environment.
    expect(
      await count(run, ['--api-url', two.url, '--api-key', keyOf(BOB)], {
        V2K_API_URL: one.url,
        V2K_API_KEY: keyOf(ALICE),
      }),
    ).toBe(2);
    expect(await count(run, ['--api-key', keyOf(ALICE)], { V2K_API_KEY: keyOf(BOB) })).toBe(1);
  });

  it('uses https://v2k-music.com by default, and asks for a key when there is none (exit 3)', async () => {
    const result = await inHome(tempHome())(['list']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/No API key for https:\/\/v2k-music\.com/);
    expect(result.stderr).toMatch(/Run `v2k-webhooks login` or set V2K_API_KEY/);
  });

  it('never sends a saved key to another URL', async () => {
    const home = tempHome();
    const run = inHome(home);
    await run(['login', '--api-url', one.url, '--api-key', keyOf(ALICE)]);
    const result = await run(['list', '--api-url', two.url]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/saved key is only sent to its own URL/);
    expect(two.stderr()).not.toContain(keyOf(ALICE));
  });

  it('an unknown profile is exit 3 with the login command for it', async () => {
    const result = await inHome(tempHome())(['list'], { V2K_PROFILE: 'staging' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/profile "staging" is not saved[\s\S]*login --profile staging/);
  });
});

describe('config and logout', () => {
  it('config path, set, get, list (masked) and logout', async () => {
    const home = tempHome();
    const run = inHome(home);
    const key = keyOf(BOB);

    const path = await run(['config', 'path']);
    expect(path.stdout).toBe(configFile(home));
    expect(json(await run(['--json', 'config', 'path']))).toEqual({ path: configFile(home) });

    expect((await run(['config', 'set', 'api-url', two.url])).exitCode).toBe(0);
    const setKey = await run(['config', 'set', 'api-key', key]);
    expect(setKey.stdout).toBe('Set api-key of profile "default" to bob_…cdef.');
    expectNoWholeKey(setKey, key);
    expect(statSync(configFile(home)).mode & 0o777).toBe(0o600);
    expect(await count(run, [])).toBe(2);

    expect((await run(['config', 'get', 'api-url'])).stdout).toBe(two.url);
    const getKey = await run(['config', 'get', 'api-key']);
    expect(getKey.stdout).toBe('bob_…cdef');
    expect(json(await run(['--json', 'config', 'get', 'api-key']))).toEqual({
      profile: 'default',
      key: 'api-key',
      value: 'bob_…cdef',
    });

    const list = await run(['config', 'list']);
    expect(list.stdout).toMatch(/\* default\s+http:\/\/127\.0\.0\.1:\d+\s+bob_…cdef/);
    expectNoWholeKey(list, key);
    const listJson = await run(['--json', 'config', 'list']);
    expect(json(listJson)).toMatchObject({
      active: 'default',
      profiles: { default: { apiUrl: two.url, apiKey: 'bob_…cdef' } },
    });
    expectNoWholeKey(listJson, key);

    const logout = await run(['logout']);
    expect(logout.stdout).toMatch(/forgot profile "default"/);
    expect((await run(['list'])).exitCode).toBe(3);
    expect((await run(['config', 'get', 'api-key'])).exitCode).toBe(1);
    expect(json(await run(['--json', 'logout']))).toMatchObject({ removed: [] });
  });

  it('logout --all forgets every profile', async () => {
    const home = tempHome();
    const run = inHome(home);
    await run(['config', 'set', 'api-key', 'k_one_1234567890', '--profile', 'a']);
    await run(['config', 'set', 'api-key', 'k_two_1234567890', '--profile', 'b']);
    expect(json(await run(['--json', 'logout', '--all']))).toMatchObject({ removed: ['a', 'b'] });
    expect(json(await run(['--json', 'config', 'list']))).toMatchObject({ profiles: {} });
  });

  it.each([
    [['config', 'get', 'colour'], /Unknown setting "colour"[\s\S]*api-url, api-key/],
    [['config', 'set', 'api-url', 'ftp://x'], /not an http\(s\) URL/],
    [['config', 'set', 'api-key', ' '], /empty/],
    [['list', '--profile', '../etc'], /Bad profile name/],
    [['list', '--api-url', 'nonsense', '--api-key', 'k'], /not an http\(s\) URL/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const result = await inHome(tempHome())(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('a broken config file is reported with where it is', async () => {
    const home = tempHome();
    const run = inHome(home);
    await run(['config', 'set', 'api-url', one.url]);
    writeFileSync(configFile(home), '{ not json');
    const result = await run(['list']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/config file could not be read[\s\S]*config path/);
  });
});

describe('connection problems', () => {
  it('a refused connection names the URL and, for a local one, how to start a dispatcher', async () => {
    const stopped = await startDispatcher();
    const url = stopped.url;
    await stopped.stop();
    const result = await inHome(tempHome())(['list', '--api-url', url, '--api-key', 'k_whatever_123']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(url);
    expect(result.stderr).toMatch(/connection refused[\s\S]*start one with `v2k-webhooks dispatcher`/);
  });
});
