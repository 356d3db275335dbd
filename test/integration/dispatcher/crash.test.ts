import { describe, expect, it } from 'vitest';
import { startDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver } from '../../helpers/receiver.js';
import { sampleData } from './setup.js';

const EVENTS = 2_000;
const PARALLEL = 16;

describe('crash safety (SPEC §4: an accepted event is never lost)', () => {
  it('delivers every accepted event at least once after a SIGKILL in the middle of deliveries', async () => {
    let slow = true;
    // Slow answers keep deliveries in flight when the dispatcher is killed.
    const receiver = await startReceiver(() => (slow ? { delayMs: 200 } : {}));
    const first = await startDispatcher({ rateLimit: 0 });
    try {
      const headers = { authorization: `Bearer ${first.apiKey}`, 'content-type': 'application/json' };
      const created = await fetch(`${first.url}/api/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiver.url, events: ['*'] }) });
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
