import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { startDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver } from '../../helpers/receiver.js';
import { sampleData } from './setup.js';

const EVENTS = 2_000;
const PARALLEL = 16;

describe('crash safety (SPEC §4: an accepted event is never lost)', () => {
  it('delivers every accepted event at least once after a SIGKILL in the middle of deliveries', async () => {
    let slow = true;
    // Slow answers keep deliveries in flight when the dispatcher is killed.
    const receiver = await startReceiver(() => (slow ? { delayMs: 1_000 } : {}));
    const first = await startDispatcher({ rateLimit: 0 });
    try {
      const headers = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/api/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: receiver.url, events: ['*'] }),
      });
      expect(created.status).toBe(201);
      const webhookId = ((await created.json()) as { id: string }).id;

      const accepted = new Set<string>();
      const body = JSON.stringify({ event: 'trade.completed', data: sampleData('trade.completed') });
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < EVENTS) {
            next++;
            const res = await fetch(`${first.url}/api/events`, { method: 'POST', headers, body });
            expect(res.status).toBe(202);
            accepted.add(((await res.json()) as { id: string }).id);
          }
        }),
      );
      expect(accepted.size).toBe(EVENTS);

      const receivedIds = (): Set<string> => new Set(receiver.requests.map((r) => String(r.headers['x-v2k-event-id'])));
      expect(receivedIds().size).toBeLessThan(EVENTS); // deliveries are still going out
      first.kill();
      const killed = await first.process;
      expect(killed.signal).toBe('SIGKILL');
      const beforeRestart = receivedIds().size;

      slow = false;
      const second = await startDispatcher({ dbPath: first.dbPath, rateLimit: 0 });
      try {
        await receiver.waitFor(() => {
          const received = receivedIds();
          return [...accepted].every((id) => received.has(id));
        }, 45_000);
        const received = receivedIds();
        expect([...accepted].filter((id) => !received.has(id))).toEqual([]);
        expect(receiver.requests.length - beforeRestart).toBeGreaterThan(0);
        // Receivers dedupe on X-V2K-Delivery: one delivery per event to this webhook, whatever was sent twice.
        expect(new Set(receiver.requests.map((r) => r.headers['x-v2k-delivery'])).size).toBe(EVENTS);

        const pending = await fetch(`${second.url}/api/webhooks/${webhookId}/deliveries?status=pending`, { headers });
        const stillPending = ((await pending.json()) as { data: unknown[] }).data;
        expect(stillPending.length).toBeLessThanOrEqual(64);
      } finally {
        await second.stop();
      }
    } finally {
      first.kill();
      await receiver.close();
    }
  });
});

describe('clean stop', () => {
  it('on SIGTERM exits 0, releasing attempts still in flight; the next start sends them', async () => {
    const receiver = await startReceiver((request) => (request.index < 3 ? { delayMs: 5_000 } : {}));
    const first = await startDispatcher();
    try {
      const headers = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };
      await fetch(`${first.url}/api/webhooks`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ url: receiver.url, events: ['*'] }),
      });
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${first.url}/api/events`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ event: 'trade.failed', data: sampleData('trade.failed') }),
        });
        expect(res.status).toBe(202);
      }
      await receiver.waitForCount(3);
      await first.stop();
      const result = await first.process;
      expect(result.exitCode).toBe(0);
      expect(first.lines).toEqual([]); // the attempts were cut short, not recorded as failures

      const second = await startDispatcher({ dbPath: first.dbPath });
      try {
        await receiver.waitForCount(6);
        const retried = receiver.requests.slice(3);
        expect(new Set(retried.map((r) => r.headers['x-v2k-delivery']))).toEqual(
          new Set(receiver.requests.slice(0, 3).map((r) => r.headers['x-v2k-delivery'])),
        );
        expect(retried.every((r) => r.headers['x-v2k-attempt'] === '1')).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      first.kill();
      await receiver.close();
    }
  });

  it('refuses a second dispatcher on the same database file', async () => {
    const first = await startDispatcher();
    try {
      const second = await cli(['dispatcher', '--port', '0', '--db', first.dbPath]);
      expect(second.exitCode).toBe(1);
      expect(second.stderr).toMatch(/in use by another dispatcher[\s\S]*another --db/);
    } finally {
      await first.stop();
    }
  });
});
