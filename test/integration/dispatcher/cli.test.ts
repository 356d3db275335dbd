import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { startDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver } from '../../helpers/receiver.js';
import { sampleData, tempDb } from './setup.js';

describe('v2k-webhooks dispatcher (the built CLI)', () => {
  it('prints the ready line, one JSON line per attempt, keeps its dev key across restarts, and stops on SIGTERM', async () => {
    const receiver = await startReceiver();
    try {
      const first = await startDispatcher({ timeScale: 0.01 });
      expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(first.adminUrl).toMatch(new RegExp(`^${first.url}/admin/webhooks\\?token=[\\w-]{32}$`));
      expect(first.apiKey).toMatch(/^v2k_dev_[0-9a-f]{32}$/);
      const auth = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };

      const created = await fetch(`${first.url}/api/webhooks`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ url: receiver.url, events: ['*'] }),
      });
      expect(created.status).toBe(201);
      const emitted = await fetch(`${first.url}/api/events`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ event: 'trade.failed', data: sampleData('trade.failed') }),
      });
      expect(emitted.status).toBe(202);
      await receiver.waitForCount(1);
      await waitUntil(() => first.lines.length >= 1);
      expect(first.lines[0]).toMatchObject({
        type: 'attempt',
        event: 'trade.failed',
        attempt: 1,
        statusCode: 200,
        outcome: 'succeeded',
      });

      await first.stop();
      expect((await first.process).exitCode).toBe(0);

      const second = await startDispatcher({ dbPath: first.dbPath });
      expect(second.apiKey).toBe(first.apiKey);
      // The monitoring page's token is kept too: a bookmarked page URL keeps working.
      expect(new URL(second.adminUrl).searchParams.get('token')).toBe(
        new URL(first.adminUrl).searchParams.get('token'),
      );
      const list = await fetch(`${second.url}/api/webhooks`, { headers: auth });
      expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
      await second.stop();
    } finally {
      await receiver.close();
    }
  });

  it('takes --user-key KEY:USER repeatedly, and then makes no dev key', async () => {
    const d = await startDispatcher({ userKeys: ['key_one:user_one', 'key_two:user_two'] });
    try {
      expect(d.apiKey).toBe('key_one');
      for (const key of ['key_one', 'key_two']) {
        const res = await fetch(`${d.url}/api/webhooks`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status).toBe(200);
      }
    } finally {
      await d.stop();
    }
  });

  it('takes keys from V2K_DISPATCHER_KEYS and from --user-keys-file, out of sight of ps; flags win over the variable', async () => {
    const fromEnv = await startDispatcher({ env: { V2K_DISPATCHER_KEYS: 'env_one:user_one, env_two:user_two' } });
    const dir = mkdtempSync(join(tmpdir(), 'v2k-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, '# users of the CI run\nfile_one:user_one\n\nfile_two:user_two\n', { mode: 0o600 });
    const fromFile = await startDispatcher({
      extraArgs: ['--user-keys-file', file],
      env: { V2K_DISPATCHER_KEYS: 'env_one:user_one' },
    });
    try {
      const status = async (url: string, key: string) =>
        (await fetch(`${url}/api/webhooks`, { headers: { authorization: `Bearer ${key}` } })).status;
      expect([await status(fromEnv.url, 'env_one'), await status(fromEnv.url, 'env_two')]).toEqual([200, 200]);
      expect(fromEnv.apiKey).toBe(''); // no dev key was made or printed
      expect([await status(fromFile.url, 'file_one'), await status(fromFile.url, 'file_two')]).toEqual([200, 200]);
      expect(await status(fromFile.url, 'env_one')).toBe(401);
      // Nothing of a key on the command line of either process.
      for (const d of [fromEnv, fromFile])
        expect(readFileSync(`/proc/${d.process.pid}/cmdline`, 'utf8')).not.toMatch(/env_one|file_one/);
    } finally {
      await Promise.all([fromEnv.stop(), fromFile.stop()]);
    }
  });

  it('refuses a malformed --user-key, the global --api-key, and a taken port with a message and a non-zero exit', async () => {
    const bad = await cli(['dispatcher', '--port', '0', '--db', tempDb(), '--user-key', 'no-user']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--user-key: "no-user" is not KEY:USER/);

    // The flag the dispatcher once took its users' keys with: it would have been the CLI's own key.
    for (const args of [
      ['dispatcher', '--api-key', 'sk_alice:user_alice'],
      ['--api-key', 'sk_alice:user_alice', 'dispatcher'],
    ]) {
      const old = await cli([...args, '--port', '0', '--db', tempDb()]);
      expect(old.exitCode).toBe(2);
      expect(old.stderr).toMatch(/does not take --api-key[\s\S]*--user-key KEY:USER/);
      expect(old.stderr).not.toMatch(/at .*\.js:\d+/);
    }

    const d = await startDispatcher();
    try {
      const port = new URL(d.url).port;
      const taken = await cli(['dispatcher', '--port', port, '--db', tempDb()]);
      expect(taken.exitCode).toBe(1);
      expect(taken.stderr).toMatch(/EADDRINUSE[\s\S]*--port/);
    } finally {
      await d.stop();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
