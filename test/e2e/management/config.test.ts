import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
    startDispatcher({ userKeys: [ALICE, BOB] }),
    startDispatcher({ userKeys: [ALICE, BOB] }),
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
      source: 'profile',
      from: 'profile "default"',
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
});

describe('a broken config file (issue 17)', () => {
  it('is reported with its path; `config path`, `login` and `logout --all` still work, keeping the file as .bak', async () => {
    const home = tempHome();
    const run = inHome(home);
    await run(['config', 'set', 'api-url', one.url]);
    writeFileSync(configFile(home), '{ not json');

    const result = await run(['list']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Error: The config file ${configFile(home)} is not valid JSON`);
    expect(result.stderr).toMatch(/v2k-webhooks login[\s\S]*config\.json\.bak/);
    expect(result.stderr).not.toMatch(/Unexpected error/);

    const path = await run(['config', 'path']);
    expect(path.exitCode, String(path.stderr)).toBe(0);
    expect(path.stdout).toBe(configFile(home));

    const login = await run(['login', '--api-url', one.url, '--api-key', keyOf(ALICE)]);
    expect(login.exitCode, String(login.stderr)).toBe(0);
    expect(login.stderr).toContain(`kept as ${configFile(home)}.bak`);
    expect(readFileSync(`${configFile(home)}.bak`, 'utf8')).toBe('{ not json');
    expect(statSync(configFile(home)).mode & 0o777).toBe(0o600);
    expect(await count(run, [])).toBe(1);

    writeFileSync(configFile(home), '[1, 2]');
    const logout = await run(['logout', '--all']);
    expect(logout.exitCode, String(logout.stderr)).toBe(0);
    expect(logout.stderr).toContain(`kept as ${configFile(home)}.bak`);
    expect(json(await run(['--json', 'config', 'list']))).toMatchObject({ profiles: {} });
  });

  it('a field of the wrong type is named, never a TypeError', async () => {
    const home = tempHome();
    mkdirSync(dirname(configFile(home)), { recursive: true });
    writeFileSync(configFile(home), JSON.stringify({ profiles: { local: { apiUrl: 5 } } }));
    for (const args of [
      ['--profile', 'local', 'list'],
      ['config', 'list'],
      ['config', 'get', 'api-url'],
    ]) {
      const result = await inHome(home)(args);
      expect(result.exitCode, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(
        `The config file ${configFile(home)} has profiles.local.apiUrl as the number 5 (it must be a string).`,
      );
      expect(result.stderr).not.toMatch(/Unexpected error|TypeError/);
    }
  });
});

describe('profiles (issue 17)', () => {
  it('a URL given by flag uses the key of the profile saved for exactly that URL', async () => {
    const home = tempHome();
    const run = inHome(home);
    expect((await run(['login', '--profile', 'local', '--api-url', one.url, '--api-key', keyOf(ALICE)])).exitCode).toBe(
      0,
    );
    expect(await count(run, ['--api-url', one.url])).toBe(1);
    expect(await count(run, [], { V2K_API_URL: `${one.url}/` })).toBe(1);
    // Another URL finds no key: the saved one never leaves its own URL.
    const other = await run(['list', '--api-url', two.url]);
    expect(other.exitCode).toBe(3);
    expect(two.stderr()).not.toContain(keyOf(ALICE));
  });

  it('config get prints the value in effect and where it came from, with exit 0', async () => {
    const home = tempHome();
    const run = inHome(home);
    const fresh = await run(['config', 'get', 'api-url']);
    expect(fresh.exitCode, String(fresh.stderr)).toBe(0);
    expect(fresh.stdout).toBe('https://v2k-music.com');
    expect(fresh.stderr).toBe('(from the default)');

    expect((await run(['config', 'get', 'api-url'], { V2K_API_URL: two.url })).stderr).toBe('(from V2K_API_URL)');
    expect((await run(['config', 'get', 'api-url', '--api-url', one.url])).stderr).toBe('(from --api-url)');
    await run(['login', '--profile', 'local', '--api-url', one.url, '--api-key', keyOf(ALICE)]);
    const viaUrl = await run(['--json', 'config', 'get', 'api-key', '--api-url', one.url]);
    expect(json(viaUrl)).toMatchObject({
      value: 'alic…cdef',
      source: 'profile',
      from: 'profile "local", saved for this URL',
    });
    const profile = await run(['config', 'get', 'api-url', '--profile', 'local']);
    expect([profile.stdout, profile.stderr]).toEqual([one.url, '(from profile "local")']);
  });

  it('config use switches the default profile; logging it out switches back', async () => {
    const home = tempHome();
    const run = inHome(home);
    await run(['login', '--api-url', one.url, '--api-key', keyOf(ALICE)]);
    await run(['login', '--profile', 'bob', '--api-url', two.url, '--api-key', keyOf(BOB)]);
    expect(await count(run, [])).toBe(1);

    const use = await run(['config', 'use', 'bob']);
    expect(use.exitCode, String(use.stderr)).toBe(0);
    expect(use.stdout).toBe('Commands now use profile "bob" by default.');
    expect(await count(run, [])).toBe(2);
    expect(await count(run, ['--profile', 'default'])).toBe(1);
    expect(json(await run(['--json', 'config', 'list']))).toMatchObject({ active: 'bob', defaultProfile: 'bob' });

    const missing = await run(['config', 'use', 'nobody']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/Profile "nobody" is not saved[\s\S]*default, bob/);

    await run(['logout', '--profile', 'bob']);
    expect(await count(run, [])).toBe(1);
  });

  it('login --with-token reads the key from stdin', async () => {
    const home = tempHome();
    const result = await cli(['login', '--with-token', '--api-url', two.url], {
      env: { HOME: home },
      stdin: 'pipe',
      input: `${keyOf(BOB)}\n`,
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toContain('(2 webhooks)');
    expectNoWholeKey(result, keyOf(BOB));
    expect(await count(inHome(home), [])).toBe(2);

    const empty = await cli(['login', '--with-token'], { env: { HOME: home }, stdin: 'pipe', input: '' });
    expect(empty.exitCode).toBe(2);
    expect(empty.stderr).toMatch(/--with-token read no key from stdin/);
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
