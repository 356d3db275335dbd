import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { verify } from '../../../src/core/signature.js';
import { startHarness } from './setup.js';

describe('webhook-id is the event id, the same on every attempt and redelivery (SPEC §2, issue 14)', () => {
  it('a retry and a manual redeliver keep webhook-id; X-V2K-Delivery is new on the redeliver; standardwebhooks verifies each', async () => {
    const h = await startHarness({ timeScale: 0.05 });
    // The first attempt fails, so the delivery is retried; later ones succeed.
    const receiver = await h.receiver((request) => (request.index === 0 ? { status: 500 } : { status: 200 }));
    const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
    const emitted = await h.emit('trade.completed');
    expect(emitted.status).toBe(202);
    const eventId = emitted.body.id as string;

    const [first, retry] = await receiver.waitForCount(2);
    const redeliver = await h.api(
      'POST',
      `/api/webhooks/${webhook.id}/deliveries/${String(first!.headers['x-v2k-delivery'])}/redeliver`,
    );
    expect(redeliver.status).toBe(202);
    const requests = await receiver.waitForCount(3);
    const again = requests[2]!;

    expect(requests.map((r) => r.headers['x-v2k-attempt'])).toEqual(['1', '2', '1']);
    for (const r of requests) {
      expect(r.headers['webhook-id']).toBe(eventId);
      expect(r.headers['x-v2k-event-id']).toBe(eventId);
    }
    expect(retry!.headers['x-v2k-delivery']).toBe(first!.headers['x-v2k-delivery']);
    expect(again.headers['x-v2k-delivery']).not.toBe(first!.headers['x-v2k-delivery']);
    expect(again.headers['x-v2k-delivery']).toBe(redeliver.body.deliveryId);

    // Software nobody here wrote accepts every one of them, and so does ours.
    const reference = new StandardWebhook(webhook.secret as string);
    for (const r of requests) {
      const headers = r.headers as Record<string, string>;
      expect(() => reference.verify(r.body.toString('utf8'), headers)).not.toThrow();
      expect(verify({ payload: r.body, headers, secret: webhook.secret as string })).toMatchObject({
        ok: true,
        schemes: ['standard', 'v2k'],
      });
    }

    // A receiver that dedupes on webhook-id, as Standard Webhooks tells it to, handles the event once.
    const handled = new Set(requests.map((r) => r.headers['webhook-id']));
    expect(handled.size).toBe(1);
  });
});
