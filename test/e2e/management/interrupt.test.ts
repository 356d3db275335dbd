import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../src/core/api-client.js';
import { tempHome } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { KEY, runInPty } from '../../helpers/pty.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { keyOf, userKeys } from './setup.js';

// issue 17.1: Ctrl+C at a real terminal stops whatever is running — a spinner, a prompt
// (prompts.test.ts), a call the API never answers — with exit 130. The bound of 1 s is the
// issue's; the test allows 3 s so a loaded machine cannot make it flake (before the fix, `test`
// ignored the key for its whole wait; measured after it: about 0.1 s).
const users = userKeys('intr', 1);
let dispatcher: RunningDispatcher;
let hanging: Receiver;

beforeAll(async () => {
  // Unscaled: the dispatcher waits its real 10 s for the hanging receiver, so `test` is still spinning when the key comes.
  [dispatcher, hanging] = await Promise.all([startDispatcher({ userKeys: users }), startReceiver()]);
  hanging.respond({ delayMs: 60_000 });
});

afterAll(async () => {
  await Promise.all([dispatcher?.stop(), hanging?.close()]);
});

function envFor(apiUrl: string, key: string): Record<string, string> {
  const home = tempHome();
  return { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), V2K_API_URL: apiUrl, V2K_API_KEY: key };
}

const BOUND_MS = 3000;

describe('Ctrl+C at a terminal', () => {
  it('stops `test` while its spinner waits: exit 130, at once', async () => {
    const user = users[0] as string;
    const hook = await createApiClient({ baseUrl: dispatcher.url, apiKey: keyOf(user) }).createWebhook({
      url: hanging.url,
      events: ['*'],
    });
    const result = await runInPty(['test', hook.id], {
      env: envFor(dispatcher.url, keyOf(user)),
      steps: [{ expect: /waiting for the receiver/, send: KEY.ctrlC }],
    });
    expect(result.failedStep, result.output).toBeUndefined();
    expect(result.exitCode, result.output).toBe(130);
    expect(result.exitMsAfterLastStep).toBeLessThan(BOUND_MS);
    expect(result.output).toMatch(/Stopped before the outcome was known/);
    expect(result.output).not.toMatch(/Unexpected error/);
  });
});

describe('a hung API at a terminal', () => {
  it('shows a spinner saying what it waits for and when it gives up; Ctrl+C stops it with 130', async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const result = await runInPty(['list'], {
        env: envFor(url, 'k_0123456789abcdef'),
        steps: [{ expect: /Waiting for http:\/\/127\.0\.0\.1:\d+ \(\d+s so far; gives up after 30s/, send: KEY.ctrlC }],
      });
      expect(result.failedStep, result.output).toBeUndefined();
      expect(result.exitCode, result.output).toBe(130);
      expect(result.exitMsAfterLastStep).toBeLessThan(BOUND_MS);
      expect(result.output).toMatch(/Error: Interrupted\./);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
