import { describe, expect, it } from 'vitest';
import { sampleData, startHarness } from './setup.js';

describe('Idempotency-Key on POST /api/events', () => {
  it('answers the first answer again and creates nothing; another body with the key is a 409', async () => {
    const h = await startHarness({
      userKeys: [
        { key: 'key_a', user: 'user_a' },
        { key: 'key_b', user: 'user_b' },
      ],
    });
    const receiver = await h.receiver();
    const webhook = await h.createWebhook(receiver.url, ['*'], 'key_a');
    const body = { event: 'trade.completed', data: sampleData('trade.completed') };
    const send = (key: string, payload: unknown = body) =>
      h.api('POST', '/api/events', payload, { key, headers: { 'idempotency-key': 'order-42' } });

    const first = await send('key_a');
    expect(first.status).toBe(202);
    expect(first.body.deliveries).toBe(1);
    const again = await send('key_a');
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    await receiver.waitForCount(1);
    await h.waitForAttempts((all) => all.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.requests).toHaveLength(1);
    const deliveries = (await h.api('GET', `/api/webhooks/${webhook.id}/deliveries`, undefined, { key: 'key_a' })).body
      .data;
    expect(deliveries).toHaveLength(1);

    const reused = await send('key_a', { event: 'trade.failed', data: sampleData('trade.failed') });
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });

    // Keys belong to a user: the same key from another user is a new event.
    const other = await send('key_b');
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);

    // Without a key, the same body twice is two events.
    const a = await h.api('POST', '/api/events', body, { key: 'key_a' });
    const b = await h.api('POST', '/api/events', body, { key: 'key_a' });
    expect(a.body.id).not.toBe(b.body.id);
  });

  it('keeps the key across a restart on the same database', async () => {
    const first = await startHarness();
    const body = { event: 'trade.failed', data: sampleData('trade.failed') };
    const answer = await first.api('POST', '/api/events', body, { headers: { 'idempotency-key': 'k1' } });
    await first.dispatcher.close();
    const second = await startHarness({ dbPath: first.dbPath });
    const again = await second.api('POST', '/api/events', body, { headers: { 'idempotency-key': 'k1' } });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(answer.body);
  });
});
