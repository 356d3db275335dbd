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
      expect(first.adminUrl).toBe(`${first.url}/admin/webhooks`);
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
      const list = await fetch(`${second.url}/api/webhooks`, { headers: auth });
      expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
      await second.stop();
    } finally {
      await receiver.close();
    }
  });

  it('takes --api-key KEY:USER repeatedly, and then makes no dev key', async () => {
    const d = await startDispatcher({ apiKeys: ['key_one:user_one', 'key_two:user_two'] });
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

  it('refuses a malformed --api-key and a taken port with a message and a non-zero exit', async () => {
    const bad = await cli(['dispatcher', '--port', '0', '--db', tempDb(), '--api-key', 'no-user']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/KEY:USER/);

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
