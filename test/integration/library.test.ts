import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createApiClient,
  createDispatcher,
  createListener,
  EVENT_CATALOG,
  type ListenerEvent,
} from '../../src/index.js';
import { startReceiver } from '../helpers/receiver.js';

// The README's Library example, as a test suite would use the package: no processes, just calls.
describe('the library inside a test suite', () => {
  it('dispatcher → listener → app, in process, with the delivery rules time-scaled', async () => {
    const app = await startReceiver({ status: 200, body: 'ok' });
    const dispatcher = await createDispatcher({
      dbPath: join(mkdtempSync(join(tmpdir(), 'v2k-lib-')), 'test.db'),
      port: 0,
      timeScale: 0.05,
    });
    const seen: ListenerEvent[] = [];
    const listener = await createListener({ port: 0, forward: [app.url], onEvent: (e) => seen.push(e) });
    try {
      const api = createApiClient({ baseUrl: dispatcher.url, apiKey: dispatcher.devKey });
      const hook = await api.createWebhook({ url: listener.url, events: ['*'] });
      listener.addSecret(hook.secret);
      await api.emitEvent({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });
      await app.waitForCount(1);
      await expect.poll(() => seen.length).toBe(1);
      expect(seen[0]).toMatchObject({
        event: 'trade.completed',
        verdict: { ok: true },
        status: 200,
        forwards: [{ status: 200 }],
      });
      expect(JSON.parse(app.requests[0]?.body.toString('utf8') ?? '{}')).toMatchObject({
        event: 'trade.completed',
        data: { userId: 'user_dev' },
      });
    } finally {
      await listener.close();
      await dispatcher.close();
      await app.close();
    }
  });

  it('createDispatcher still takes apiKeys, the deprecated name of userKeys (issue 16), but not both', async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), 'v2k-lib-')), 'test.db');
    const dispatcher = await createDispatcher({ dbPath, port: 0, apiKeys: [{ key: 'key_old', user: 'user_old' }] });
    try {
      expect(dispatcher.devKey).toBeUndefined();
      const api = createApiClient({ baseUrl: dispatcher.url, apiKey: 'key_old' });
      await expect(api.listWebhooks()).resolves.toEqual([]);
    } finally {
      await dispatcher.close();
    }
    const key = { key: 'key_a', user: 'user_a' };
    await expect(createDispatcher({ dbPath, port: 0, userKeys: [key], apiKeys: [key] })).rejects.toMatchObject({
      code: 'invalid_option',
      message: expect.stringMatching(/Give userKeys only/),
    });
  });
});
