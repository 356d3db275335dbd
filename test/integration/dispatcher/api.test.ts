import { describe, expect, it } from 'vitest';
import { startHarness } from './setup.js';

const ERROR_SHAPE = { error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } };

describe('dispatcher REST API (SPEC §3)', () => {
  it('creates, lists, gets, updates, rotates and deletes a webhook', async () => {
    const h = await startHarness();
    const created = await h.api('POST', '/api/webhooks', {
      url: 'https://example.com/hook',
      events: ['trade.completed'],
      description: 'mine',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^wh_/),
      url: 'https://example.com/hook',
      events: ['trade.completed'],
      description: 'mine',
      isActive: true,
      disabledReason: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    const id = created.body.id as string;

    const list = await h.api('GET', '/api/webhooks');
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].id).toBe(id);
    expect(list.body.data[0]).not.toHaveProperty('secret');

    const got = await h.api('GET', `/api/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).not.toHaveProperty('secret');
    expect(got.body.stats).toEqual({
      deliveries: 0,
      succeeded: 0,
      failed: 0,
      successRate: null,
      avgResponseMs: null,
      p95ResponseMs: null,
      lastDeliveryAt: null,
    });

    const patched = await h.api('PATCH', `/api/webhooks/${id}`, { events: ['*'], description: null, isActive: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['*'], description: null, isActive: false, disabledReason: null });

    const rotated = await h.api('POST', `/api/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const deleted = await h.api('DELETE', `/api/webhooks/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await h.api('GET', `/api/webhooks/${id}`)).status).toBe(404);
    expect((await h.api('GET', '/api/webhooks')).body.data).toEqual([]);
  });

  it('answers /healthz without a key', async () => {
    const h = await startHarness();
    const res = await h.api('GET', '/healthz', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it('refuses missing and unknown keys with 401 and the error body', async () => {
    const h = await startHarness();
    for (const key of [null, 'nope', '']) {
      const res = await h.api('GET', '/api/webhooks', undefined, { key });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const basic = await h.api('GET', '/api/webhooks', undefined, {
      key: null,
      headers: { authorization: `Basic ${h.key}` },
    });
    expect(basic.status).toBe(401);
  });

  it('refuses the 11th webhook of a user with 409 limit_reached, and counts per user', async () => {
    const h = await startHarness({
      userKeys: [
        { key: 'key_a', user: 'user_a' },
        { key: 'key_b', user: 'user_b' },
      ],
    });
    for (let i = 0; i < 10; i++) await h.createWebhook(`https://example.com/${i}`, ['*'], 'key_a');
    const eleventh = await h.api(
      'POST',
      '/api/webhooks',
      { url: 'https://example.com/11', events: ['*'] },
      { key: 'key_a' },
    );
    expect(eleventh.status).toBe(409);
    expect(eleventh.body).toMatchObject({ error: { code: 'limit_reached' } });
    expect((await h.api('GET', '/api/webhooks', undefined, { key: 'key_a' })).body.data).toHaveLength(10);
    // Another user still has room; a deleted webhook frees a place.
    expect(
      (await h.api('POST', '/api/webhooks', { url: 'https://example.com/b', events: ['*'] }, { key: 'key_b' })).status,
    ).toBe(201);
    const first = (await h.api('GET', '/api/webhooks', undefined, { key: 'key_a' })).body.data[0].id;
    expect((await h.api('DELETE', `/api/webhooks/${first}`, undefined, { key: 'key_a' })).status).toBe(204);
    expect(
      (await h.api('POST', '/api/webhooks', { url: 'https://example.com/11', events: ['*'] }, { key: 'key_a' })).status,
    ).toBe(201);
  });

  it("never shows a user another user's webhooks: 404 on every route", async () => {
    const h = await startHarness({
      userKeys: [
        { key: 'key_a', user: 'user_a' },
        { key: 'key_b', user: 'user_b' },
      ],
    });
    const theirs = await h.createWebhook('https://example.com/a', ['*'], 'key_a');
    const test = await h.api('POST', `/api/webhooks/${theirs.id}/test`, undefined, { key: 'key_a' });
    const dlv = test.body.deliveryId as string;
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/webhooks/${theirs.id}`],
      ['PATCH', `/api/webhooks/${theirs.id}`, { description: 'x' }],
      ['DELETE', `/api/webhooks/${theirs.id}`],
      ['POST', `/api/webhooks/${theirs.id}/test`],
      ['POST', `/api/webhooks/${theirs.id}/rotate-secret`],
      ['GET', `/api/webhooks/${theirs.id}/deliveries`],
      ['GET', `/api/webhooks/${theirs.id}/deliveries/${dlv}`],
      ['POST', `/api/webhooks/${theirs.id}/deliveries/${dlv}/redeliver`],
    ];
    for (const [method, path, body] of routes) {
      const res = await h.api(method, path, body, { key: 'key_b' });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body).toMatchObject(ERROR_SHAPE);
    }
    expect((await h.api('GET', '/api/webhooks', undefined, { key: 'key_b' })).body.data).toEqual([]);
    // Still there, untouched, for its owner.
    const mine = await h.api('GET', `/api/webhooks/${theirs.id}`, undefined, { key: 'key_a' });
    expect(mine.status).toBe(200);
    expect(mine.body.description).toBeNull();
  });

  it('sends the test event, lists deliveries newest first, gets one, and redelivers', async () => {
    const h = await startHarness();
    const receiver = await h.receiver();
    const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
    const test = await h.api('POST', `/api/webhooks/${webhook.id}/test`);
    expect(test.status).toBe(202);
    expect(test.body).toEqual({ deliveryId: expect.stringMatching(/^dlv_/), eventId: expect.stringMatching(/^evt_/) });
    await receiver.waitForCount(1);
    expect(receiver.requests[0]?.json()).toMatchObject({
      event: 'test',
      data: { test: true, message: 'This is a test webhook' },
    });
    await h.waitForAttempts((all) => all.length >= 1);

    const one = await h.api('GET', `/api/webhooks/${webhook.id}/deliveries/${test.body.deliveryId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id: test.body.deliveryId,
      webhookId: webhook.id,
      eventId: test.body.eventId,
      event: 'test',
      status: 'succeeded',
      nextAttemptAt: null,
      attempts: [{ number: 1, statusCode: 200, error: null, responseBody: 'ok', durationMs: expect.any(Number) }],
    });

    const again = await h.api('POST', `/api/webhooks/${webhook.id}/deliveries/${test.body.deliveryId}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body.deliveryId).toMatch(/^dlv_/);
    expect(again.body.deliveryId).not.toBe(test.body.deliveryId);
    await receiver.waitForCount(2);
    expect(receiver.requests[1]?.body.equals(receiver.requests[0]!.body)).toBe(true);
    expect(receiver.requests[1]?.headers['x-v2k-event-id']).toBe(test.body.eventId);
    await h.waitForAttempts((all) => all.length >= 2);

    const list = await h.api('GET', `/api/webhooks/${webhook.id}/deliveries`);
    expect(list.body.data.map((d: { id: string }) => d.id)).toEqual([again.body.deliveryId, test.body.deliveryId]);
    expect((await h.api('GET', `/api/webhooks/${webhook.id}/deliveries?status=failed`)).body.data).toEqual([]);
    expect((await h.api('GET', `/api/webhooks/${webhook.id}/deliveries?limit=1`)).body.data).toHaveLength(1);

    const stats = (await h.api('GET', `/api/webhooks/${webhook.id}`)).body.stats;
    expect(stats).toMatchObject({
      deliveries: 2,
      succeeded: 2,
      failed: 0,
      successRate: 1,
      lastDeliveryAt: expect.any(String),
    });
    expect(stats.avgResponseMs).toBeGreaterThanOrEqual(0);
    expect(stats.p95ResponseMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses to test a disabled webhook with 409 webhook_disabled', async () => {
    const h = await startHarness();
    const webhook = await h.createWebhook('https://example.com/hook');
    await h.api('PATCH', `/api/webhooks/${webhook.id}`, { isActive: false });
    const res = await h.api('POST', `/api/webhooks/${webhook.id}/test`);
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: { code: 'webhook_disabled' } });
  });

  it('accepts events: 202 with the id and the number of deliveries, only to subscribed active webhooks of that user', async () => {
    const h = await startHarness({
      userKeys: [
        { key: 'key_a', user: 'user_a' },
        { key: 'key_b', user: 'user_b' },
      ],
    });
    const receiver = await h.receiver();
    await h.createWebhook(receiver.url, ['trade.completed'], 'key_a');
    await h.createWebhook(receiver.url, ['*'], 'key_a');
    await h.createWebhook(receiver.url, ['alert.triggered'], 'key_a');
    const off = await h.createWebhook(receiver.url, ['*'], 'key_a');
    await h.api('PATCH', `/api/webhooks/${off.id}`, { isActive: false }, { key: 'key_a' });
    await h.createWebhook(receiver.url, ['*'], 'key_b');

    const res = await h.emit('trade.completed', { userId: 'someone_else' }, 'key_a');
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: expect.stringMatching(/^evt_/), deliveries: 2 });
    await receiver.waitForCount(2);
    for (const request of receiver.requests) {
      expect(request.json()).toMatchObject({ event: 'trade.completed', data: { userId: 'user_a', tradeId: 'tx_123' } });
    }
    const none = await h.emit('royalty.claimed', {}, 'key_a');
    expect(none.body.deliveries).toBe(1);
  });

  it('switching a webhook off cancels its pending deliveries; redeliver on it is 409; a new url takes the next attempt', async () => {
    const h = await startHarness({ timeScale: 0.2 }); // retries 400 ms after a failure: time to switch it off first
    const failing = await h.receiver({ status: 500 });
    const working = await h.receiver();
    const webhook = await h.createWebhook(failing.url);
    await h.emit('trade.completed');
    await h.waitForAttempts((all) => all.length === 1);

    // The retry goes to the new URL.
    await h.api('PATCH', `/api/webhooks/${webhook.id}`, { url: working.url });
    await working.waitForCount(1);
    expect(working.requests[0]!.headers['x-v2k-attempt']).toBe('2');
    await h.waitForAttempts((all) => all.at(-1)?.outcome === 'succeeded');

    await h.api('PATCH', `/api/webhooks/${webhook.id}`, { url: failing.url });
    await h.emit('trade.completed');
    await h.waitForAttempts((all) => all.length === 3);
    const off = await h.api('PATCH', `/api/webhooks/${webhook.id}`, { isActive: false });
    expect(off.body).toMatchObject({ isActive: false, disabledReason: null });
    const [latest] = (await h.api('GET', `/api/webhooks/${webhook.id}/deliveries?limit=1`)).body.data;
    expect(latest).toMatchObject({ status: 'cancelled', nextAttemptAt: null });
    const redeliver = await h.api('POST', `/api/webhooks/${webhook.id}/deliveries/${latest.id}/redeliver`);
    expect(redeliver.status).toBe(409);
    expect(redeliver.body).toMatchObject({ error: { code: 'webhook_disabled' } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(failing.requests).toHaveLength(2);
  });
});
