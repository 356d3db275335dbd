import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../../src/core/api-client.js';
import { tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { KEY, runInPty } from '../../helpers/pty.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { keyOf, userKeys } from './setup.js';

// A person at a terminal: the CLI runs in a real pseudo-terminal and the keys are typed.
const users = userKeys('tty', 5);
let dispatcher: RunningDispatcher;
let receiver: Receiver;
/**
 * Answers after the dispatcher's timeout (10 s × 0.1). A 100 ms timeout (× 0.01) let a loaded
 * machine time out the healthy receiver too.
 */
let slow: Receiver;

beforeAll(async () => {
  [dispatcher, receiver, slow] = await Promise.all([
    startDispatcher({ timeScale: 0.1, userKeys: users }),
    startReceiver({ body: 'thanks' }),
    startReceiver(),
  ]);
  slow.respond({ delayMs: 5000 });
});

afterAll(async () => {
  await Promise.all([dispatcher?.stop(), receiver?.close(), slow?.close()]);
});

function envFor(user: string, home = tempHome()): Record<string, string> {
  return { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), V2K_API_URL: dispatcher.url, V2K_API_KEY: keyOf(user) };
}

function api(user: string): ApiClient {
  return createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(user) });
}

describe('create asks for what the flags left out', () => {
  it('URL (validated), events from the catalog, description; then prints the secret once', async () => {
    const user = users[0] as string;
    const result = await runInPty(['create'], {
      env: envFor(user),
      steps: [
        { expect: /URL that receives the deliveries/, send: `ftp://nope${KEY.enter}` },
        { expect: /The URL must use http or https, not ftp/, send: `\u0015${receiver.url}${KEY.enter}` },
        // Enter with nothing chosen is refused; then trade.completed and trade.failed.
        { expect: /Events to receive[\s\S]*user\.kyc\.rejected/, send: KEY.enter },
        { expect: /Choose at least one event/, send: `${KEY.down}${KEY.space}${KEY.down}${KEY.space}${KEY.enter}` },
        { expect: /Description \(optional\)/, send: `from a person${KEY.enter}` },
      ],
    });
    expect(result.failedStep, result.output).toBeUndefined();
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Created webhook wh_\w+ → /);
    expect(result.output).toMatch(/Secret: whsec_/);
    expect(result.output).toMatch(/shown only once/);

    const [hook] = await api(user).listWebhooks();
    expect(hook).toMatchObject({
      url: receiver.url,
      events: ['trade.completed', 'trade.failed'],
      description: 'from a person',
    });
  });

  it('asks only for what is missing, and * stands for every event', async () => {
    const user = users[1] as string;
    const result = await runInPty(['create', '--url', receiver.url], {
      env: envFor(user),
      steps: [
        { expect: /Events to receive/, send: `${KEY.space}${KEY.enter}` },
        { expect: /Description \(optional\)/, send: KEY.enter },
      ],
    });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/URL that receives/);
    const [hook] = await api(user).listWebhooks();
    expect(hook).toMatchObject({ events: ['*'], description: null });
  });

  it('Ctrl-C leaves cleanly with exit 130 and creates nothing', async () => {
    const user = users[2] as string;
    const result = await runInPty(['create'], {
      env: envFor(user),
      steps: [{ expect: /URL that receives/, send: KEY.ctrlC }],
    });
    expect(result.exitCode).toBe(130);
    expect(result.output).toMatch(/Cancelled\.[\s\S]*Nothing was changed/);
    expect(result.output).not.toMatch(/Unexpected error/);
    expect(await api(user).listWebhooks()).toEqual([]);
  });
});

describe('delete asks to confirm', () => {
  it('no keeps it ("Cancelled", exit 0: the answer is not an error); yes deletes it', async () => {
    const user = users[3] as string;
    const hook = await api(user).createWebhook({ url: receiver.url, events: ['*'] });
    const declined = await runInPty(['delete', hook.id], {
      env: envFor(user),
      steps: [
        {
          expect: new RegExp(`Delete webhook ${hook.id} \\(${receiver.url.replace(/[.]/g, '\\.')}\\)\\?`),
          send: `n${KEY.enter}`,
        },
      ],
    });
    expect(declined.exitCode, declined.output).toBe(0);
    expect(declined.output).toContain(`Cancelled: ${hook.id} was not deleted.`);
    expect(declined.output).not.toMatch(/Error|--yes/);
    expect((await api(user).getWebhook(hook.id)).id).toBe(hook.id);

    const confirmed = await runInPty(['delete', hook.id], {
      env: envFor(user),
      steps: [{ expect: /Delete webhook/, send: `y${KEY.enter}` }],
    });
    expect(confirmed.exitCode, confirmed.output).toBe(0);
    expect(confirmed.output).toContain(`Deleted webhook ${hook.id}.`);
    expect(await api(user).listWebhooks()).toEqual([]);
  });
});

describe('login asks for the key without echoing it', () => {
  it('masks the typed key, checks it and saves it', async () => {
    const user = users[4] as string;
    const home = tempHome();
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    const result = await runInPty(['login', '--api-url', dispatcher.url], {
      env,
      steps: [{ expect: /API key/, send: `${keyOf(user)}${KEY.enter}` }],
    });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Logged in to/);
    expect(result.output).not.toContain(keyOf(user));
    expect(result.output).toMatch(/\*{10,}/);
    const saved = JSON.parse(readFileSync(join(home, '.config', 'v2k-webhooks', 'config.json'), 'utf8')) as {
      profiles: Record<string, unknown>;
    };
    expect(saved.profiles.default).toEqual({ apiUrl: dispatcher.url, apiKey: keyOf(user) });
  });
});

describe('test shows a spinner on a terminal', () => {
  it('and then the outcome, once', async () => {
    const user = users[4] as string;
    const hook = await api(user).createWebhook({ url: receiver.url, events: ['*'] });
    const result = await runInPty(['test', hook.id], { env: envFor(user), steps: [] });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/waiting for the receiver/);
    expect(result.output.match(/succeeded: HTTP 200 in \d+ms/g)).toHaveLength(1);
    expect(result.output).toContain('Response: thanks');
  });

  it('a receiver that times out: "timed out after …" once, with no "in …" after it (issue 17)', async () => {
    const user = users[4] as string;
    const hook = await api(user).createWebhook({ url: slow.url, events: ['*'] });
    const result = await runInPty(['test', hook.id], { env: envFor(user), steps: [] });
    expect(result.exitCode, result.output).toBe(1);
    expect(result.output.match(/timed out after/g), result.output).toHaveLength(1);
    expect(result.output).toMatch(/failed: timed out after [\d.]+ ?m?s\n/);
  });
});
