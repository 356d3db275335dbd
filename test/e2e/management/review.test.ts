import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src/core/api-client.js';
import { cli, tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { asUser, json, keyOf, userKeys } from './setup.js';

// Findings of the CLI review, each against the built CLI and a real dispatcher process.
const users = userKeys('review', 4);
let dispatcher: RunningDispatcher;
const servers: Server[] = [];

beforeAll(async () => {
  dispatcher = await startDispatcher({ timeScale: 0.05, userKeys: users });
});

afterAll(async () => {
  await dispatcher?.stop();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A node:http server on port 0 with `handler`. */
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function apiFor(entry: string) {
  return createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(entry) });
}

describe('test: one success rule with the dispatcher', () => {
  it('a receiver that answers 200 and then resets the connection failed (exit 1), as the dispatcher recorded it', async () => {
    // Promises 1000 bytes, sends 7, then drops the connection: status 200, then a reset.
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
        res.write('partial', () => setTimeout(() => res.socket?.destroy(), 20));
      });
    });
    const user = users[0] as string;
    const hook = await apiFor(user).createWebhook({ url: `${url}/hook`, events: ['*'] });
    const run = asUser(dispatcher, keyOf(user));

    const machine = await run(['--json', 'test', hook.id]);
    expect(machine.exitCode, String(machine.stderr)).toBe(1);
    const outcome = json<{ ok: boolean; deliveryId: string; attempt: { statusCode: number; error: string } }>(machine);
    expect(outcome.ok).toBe(false);
    expect(outcome.attempt.statusCode).toBe(200);
    expect(outcome.attempt.error).toMatch(/reset/);
    // The dispatcher's record of the same attempt: failed, or pending a retry — never succeeded.
    const recorded = await apiFor(user).getDelivery(hook.id, outcome.deliveryId);
    expect(recorded.status).not.toBe('succeeded');
    expect(recorded.attempts[0]).toMatchObject({ statusCode: 200, error: outcome.attempt.error });

    const human = await run(['test', hook.id]);
    expect(human.exitCode, String(human.stderr)).toBe(1);
    expect(human.stdout).toMatch(/failed: HTTP 200 \(connection reset\) in \d+ms/);
    expect(human.stderr).toMatch(/answered 200 but then failed \(connection reset\)/);
  });
});

describe('the dispatcher opened in a browser (issue 17)', () => {
  it('GET / redirects to the monitoring page', async () => {
    const answer = await fetch(`${dispatcher.url}/`, { redirect: 'manual' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe('/admin/webhooks');
    expect((await fetch(`${dispatcher.url}/nope`, { redirect: 'manual' })).status).toBe(404);
  });
});

describe('409 webhook_disabled', () => {
  it('says "Enable it first" once, with the CLI command', async () => {
    const user = users[1] as string;
    const hook = await apiFor(user).createWebhook({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
    await apiFor(user).updateWebhook(hook.id, { isActive: false });
    const result = await asUser(dispatcher, keyOf(user))(['test', hook.id]);
    expect(result.exitCode, String(result.stderr)).toBe(1);
    expect(String(result.stderr).match(/Enable it first/g)).toHaveLength(1);
    expect(result.stderr).toContain(`Enable it first: \`v2k-webhooks update ${hook.id} --enable\``);
    expect(result.stderr).toMatch(
      new RegExp(`Webhook ${hook.id} is disabled, so it cannot .*\\(HTTP 409 webhook_disabled\\)`),
    );
  });
});

describe('Ctrl+C while a command waits on the API', () => {
  it('one SIGINT stops `list` against a server that never answers: exit 130 and "Interrupted"', async () => {
    let connected: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const url = await serve(() => connected()); // accepts, reads nothing back, never answers
    // Before the fix the first SIGINT was ignored for up to 3 × 30 s; execa's 15 s timeout catches that.
    const child = cli(['--api-url', url, '--api-key', 'k_0123456789abcdef', 'list'], {
      timeout: 15_000,
    }) as unknown as ResultPromise;
    await arrived;
    child.kill('SIGINT');
    const result = await child;
    expect(result.timedOut, String(result.stderr)).toBe(false);
    expect(result.exitCode, String(result.stderr)).toBe(130);
    expect(result.stderr).toMatch(/^Error: Interrupted\./m);
    expect(result.stdout).toBe('');
  });
});

describe('options with a range on the server are checked by the CLI (usage error, exit 2)', () => {
  it('deliveries --limit: 1 to 100', async () => {
    const user = users[2] as string;
    const hook = await apiFor(user).createWebhook({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
    const run = asUser(dispatcher, keyOf(user));
    for (const limit of ['500', '101', '0']) {
      const result = await run(['deliveries', hook.id, '--limit', limit]);
      expect(result.exitCode, String(result.stderr)).toBe(2);
      expect(result.stderr).toMatch(/--limit must be from 1 to 100/);
      expect(result.stderr).not.toMatch(/HTTP 400/);
    }
    const most = await run(['--json', 'deliveries', hook.id, '--limit', '100']);
    expect(most.exitCode, String(most.stderr)).toBe(0);
    expect(json(most)).toEqual([]);
  });

  it.each([
    [
      'create',
      'a description of 501 characters',
      ['create', '--url', 'https://example.com/h', '--events', '*', '--description', 'd'.repeat(501)],
      /at most 500/,
    ],
    [
      'create',
      'a line break',
      ['create', '--url', 'https://example.com/h', '--events', '*', '--description', 'two\nlines'],
      /control character/,
    ],
    [
      'update',
      'a description of 501 characters',
      ['update', 'wh_any', '--description', 'd'.repeat(501)],
      /at most 500/,
    ],
    ['update', 'an escape character', ['update', 'wh_any', '--description', 'x\u001b[2Jy'], /control character/],
  ])('%s --description with %s', async (_command, _what, args, message) => {
    const result = await asUser(dispatcher, keyOf(users[2] as string))(args);
    expect(result.exitCode, String(result.stderr)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/--description/);
  });

  it('a description of exactly 500 characters is accepted', async () => {
    const result = await asUser(
      dispatcher,
      keyOf(users[2] as string),
    )(['--json', 'create', '--url', 'https://example.com/h', '--events', '*', '--description', 'd'.repeat(500)]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(json<{ description: string }>(result).description).toHaveLength(500);
  });
});

describe('an API key with characters a key cannot have: exit 3, what to fix, never the key', () => {
  const HEAD = 'v2k_live_AAAAbbbbCCCC';
  const TAIL = 'ddddEEEEffff0123';
  const expectNoKey = (result: { stdout: unknown; stderr: unknown }) => {
    for (const part of [HEAD, TAIL]) {
      expect(String(result.stdout)).not.toContain(part);
      expect(String(result.stderr)).not.toContain(part);
    }
  };

  it.each([
    [
      '--api-key with a CR/LF pasted in',
      ['--api-key', `${HEAD}\r\n${TAIL}`],
      {},
      /--api-key has characters an API key cannot have \(a line break\)/,
      /on one line/,
    ],
    [
      '--api-key with a space',
      ['--api-key', `${HEAD} ${TAIL}`],
      {},
      /--api-key has characters .*\(a space\)/,
      /on one line/,
    ],
    [
      'V2K_API_KEY with a tab',
      [],
      { V2K_API_KEY: `${HEAD}\t${TAIL}` },
      /V2K_API_KEY has characters .*\(a tab\)/,
      /unset V2K_API_KEY/,
    ],
    [
      'V2K_API_KEY with an escape',
      [],
      { V2K_API_KEY: `${HEAD}\u001b${TAIL}` },
      /V2K_API_KEY has characters .*\(a control character\)/,
      /unset V2K_API_KEY/,
    ],
  ])('%s', async (_name, flags, env, message, hint) => {
    const result = await cli(['--api-url', dispatcher.url, ...flags, 'list'], { env });
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(hint);
    expect(result.stderr).not.toMatch(/UND_ERR|Could not reach/);
    expectNoKey(result);
  });

  it('a saved profile key with a line break names the profile and says to log in again', async () => {
    const home = tempHome();
    mkdirSync(join(home, '.config', 'v2k-webhooks'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'v2k-webhooks', 'config.json'),
      JSON.stringify({ profiles: { work: { apiUrl: dispatcher.url, apiKey: `${HEAD}\n${TAIL}` } } }),
    );
    const result = await cli(['--profile', 'work', 'list'], { env: { HOME: home } });
    expect(result.exitCode, String(result.stderr)).toBe(3);
    expect(result.stderr).toMatch(/saved in profile "work" has characters an API key cannot have \(a line break\)/);
    expect(result.stderr).toContain('v2k-webhooks login --profile work');
    expectNoKey(result);
    // The way out still works: logout reads the profile without using the key.
    const logout = await cli(['--profile', 'work', 'logout'], { env: { HOME: home } });
    expect(logout.exitCode, String(logout.stderr)).toBe(0);
  });

  it('login and config set refuse such a key and save nothing', async () => {
    const home = tempHome();
    const login = await cli(['login', '--api-url', dispatcher.url, '--api-key', `${HEAD} ${TAIL}`], {
      env: { HOME: home },
    });
    expect(login.exitCode, String(login.stderr)).toBe(3);
    expect(login.stderr).toMatch(/has characters an API key cannot have/);
    const set = await cli(['config', 'set', 'api-key', `${HEAD}\r\n${TAIL}`], { env: { HOME: home } });
    expect(set.exitCode, String(set.stderr)).toBe(3);
    expect(set.stderr).toMatch(/has characters an API key cannot have \(a line break\)/);
    for (const result of [login, set]) expectNoKey(result);
    const listed = await cli(['--json', 'config', 'list'], { env: { HOME: home } });
    expect(json<{ profiles: Record<string, unknown> }>(listed).profiles).toEqual({});
  });
});

describe('one stdin reader, one event-list parser', () => {
  it('trigger --data @- reads the data from stdin', async () => {
    const user = users[3] as string;
    const data = { userId: 'u_stdin', tradeId: 'tx_stdin', reason: 'from stdin' };
    const result = await cli(
      ['--api-url', dispatcher.url, '--api-key', keyOf(user), '--json', 'trigger', 'trade.failed', '--data', '@-'],
      {
        stdin: 'pipe',
        input: JSON.stringify(data),
      },
    );
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(json<{ data: unknown }>(result).data).toMatchObject(data);
  });

  it.each([
    [
      ['--events', 'trade.completed,nope'],
      /--events: unknown event type "nope"[\s\S]*trade\.completed, trade\.failed, alert\.triggered/,
    ],
    [['--events', 'TRADE.COMPLETED'], /--events: unknown event type "TRADE\.COMPLETED"/],
    [['--events', ' , '], /--events is empty[\s\S]*trade\.completed/],
  ])('listen --register %j: a usage error naming the type and the valid ones', async (flags, message) => {
    const result = await cli(['listen', '--register', '--port', '0', ...flags]);
    expect(result.exitCode, String(result.stderr)).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});

describe('the dispatcher refuses control characters in a description (400 validation_failed)', () => {
  it.each([['two\nlines'], ['clear \u001b[2J screen']])('%j, on create and on update', async (description) => {
    const api = apiFor(users[3] as string);
    const created = api.createWebhook({ url: 'https://example.com/h', events: ['*'], description });
    await expect(created).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
      message: expect.stringMatching(/description must not contain control characters/),
    });
    const hook = await api.createWebhook({ url: 'https://example.com/h', events: ['*'], description: 'one line' });
    await expect(api.updateWebhook(hook.id, { description })).rejects.toMatchObject({
      status: 400,
      code: 'validation_failed',
    });
    expect((await api.getWebhook(hook.id)).description).toBe('one line');
    await api.deleteWebhook(hook.id);
  });
});
