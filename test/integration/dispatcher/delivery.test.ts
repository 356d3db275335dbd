import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../../src/core/version.js';
import { startHarness } from './setup.js';

describe('signed delivery (SPEC §2)', () => {
  it('sends every header, and a body the receiver verifies itself with node:crypto over the raw bytes', async () => {
    const h = await startHarness();
    const receiver = await h.receiver();
    const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
    const emitted = await h.emit('trade.completed', { price: 1.5, note: 'ünïcödé ✓' });
    expect(emitted.status).toBe(202);
    const [request] = await receiver.waitForCount(1);
    const headers = request!.headers;

    expect(request!.method).toBe('POST');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe(`V2K-Webhooks/${VERSION}`);
    expect(headers['x-v2k-event']).toBe('trade.completed');
    expect(headers['x-v2k-event-id']).toBe(emitted.body.id);
    expect(headers['x-v2k-delivery']).toMatch(/^dlv_/);
    expect(headers['x-v2k-attempt']).toBe('1');
    expect(headers['webhook-id']).toBe(emitted.body.id); // the event id: the same on retries and redeliveries
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);

    // The receiver's own check: hex HMAC-SHA256 of the exact bytes, keyed with the whole secret.
    const expected = createHmac('sha256', webhook.secret).update(request!.body).digest();
    const given = Buffer.from(String(headers['x-v2k-signature']), 'hex');
    expect(String(headers['x-v2k-signature'])).toMatch(/^[0-9a-f]{64}$/);
    expect(given.length === expected.length && timingSafeEqual(given, expected)).toBe(true);

    // And a Standard Webhooks library accepts it.
    const standard = new StandardWebhook(webhook.secret.slice('whsec_'.length));
    expect(() => standard.verify(request!.body.toString('utf8'), headers as Record<string, string>)).not.toThrow();

    const envelope = request!.json() as { event: string; timestamp: string; data: Record<string, unknown> };
    expect(envelope.event).toBe('trade.completed');
    expect(Number.isNaN(Date.parse(envelope.timestamp))).toBe(false);
    expect(envelope.data).toMatchObject({ userId: 'user_dev', note: 'ünïcödé ✓' });
    expect(request!.body.toString('utf8')).toBe(JSON.stringify(envelope));
  });

  it('sends one webhook its deliveries in the order the events were accepted, whether they went straight to the worker or queued', async () => {
    // One attempt at a time: while it is in flight, new events queue; once the queue drains, the next is handed over directly.
    const h = await startHarness({ concurrency: 1, rateLimit: 0 });
    const receiver = await h.receiver({ status: 200, delayMs: 5 });
    await h.createWebhook(receiver.url, ['trade.completed']);
    const accepted: string[] = [];
    for (let wave = 0; wave < 4; wave++) {
      const answers = await Promise.all(Array.from({ length: 5 }, () => h.emit('trade.completed')));
      accepted.push(...answers.map((a) => a.body.id as string));
      await receiver.waitForCount(wave * 5 + 1);
    }
    await receiver.waitForCount(20);
    const sent = receiver.requests.map((r) => r.headers['x-v2k-event-id']);
    expect(sent).toEqual([...accepted].sort()); // event ids sort in the order they were stored
    expect(h.attempts.every((a) => a.attempt === 1 && a.outcome === 'succeeded')).toBe(true);
  });
});
