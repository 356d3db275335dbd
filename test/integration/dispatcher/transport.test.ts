import { describe, expect, it } from 'vitest';
import { startHarness } from './setup.js';

describe('what counts as a failed attempt (SPEC §4)', () => {
  it('fails an attempt the receiver does not answer within the (scaled) 10 s timeout, and retries it', async () => {
    const h = await startHarness({ timeScale: 0.02 }); // timeout 200 ms
    const receiver = await h.receiver((request) => (request.index === 0 ? { delayMs: 1_000 } : { status: 200 }));
    const webhook = await h.createWebhook(receiver.url);
    await h.emit('alert.triggered');
    await h.waitForAttempts((all) => all.some((a) => a.outcome === 'succeeded'));
    expect(h.attempts[0]).toMatchObject({
      attempt: 1,
      statusCode: null,
      error: 'timed out after 200ms',
      outcome: 'retrying',
    });
    expect(h.attempts[0]!.durationMs).toBeGreaterThanOrEqual(190);
    expect(h.attempts[1]).toMatchObject({ attempt: 2, statusCode: 200, outcome: 'succeeded' });
    const [delivery] = (await h.api('GET', `/api/webhooks/${webhook.id}/deliveries`)).body.data;
    expect(delivery.status).toBe('succeeded');
    expect(delivery.attempts[0]).toMatchObject({
      statusCode: null,
      error: 'timed out after 200ms',
      responseBody: null,
    });
  });

  it('fails on a 3xx without following it', async () => {
    const h = await startHarness({ timeScale: 0.01 });
    const elsewhere = await h.receiver();
    const receiver = await h.receiver({ redirect: elsewhere.url });
    await h.createWebhook(receiver.url);
    await h.emit('trade.completed');
    await h.waitForAttempts((all) => all.length === 4);
    expect(h.attempts.every((a) => a.statusCode === 302)).toBe(true);
    expect(h.attempts[0]!.error).toBe(`redirect to ${elsewhere.url} not followed (HTTP 302)`);
    expect(h.attempts[3]!.outcome).toBe('failed');
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('fails on a reset connection and on a refused one', async () => {
    const h = await startHarness({ timeScale: 0.01 });
    const receiver = await h.receiver((request) => (request.index === 0 ? { reset: true } : undefined));
    await h.createWebhook(receiver.url, ['trade.completed']);
    await h.emit('trade.completed');
    await h.waitForAttempts((all) => all.some((a) => a.outcome === 'succeeded'));
    expect(h.attempts[0]).toMatchObject({ statusCode: null, error: 'connection reset', outcome: 'retrying' });

    const gone = await h.receiver();
    await gone.close();
    await h.createWebhook(gone.url, ['trade.failed']);
    await h.emit('trade.failed');
    await h.waitForAttempts((all) => all.some((a) => a.event === 'trade.failed'));
    expect(h.attempts.find((a) => a.event === 'trade.failed')).toMatchObject({
      statusCode: null,
      error: 'connection refused',
    });
  });

  it('fails on 4xx and keeps only the first 4 KiB of an answer', async () => {
    const h = await startHarness({ timeScale: 0.01 });
    const receiver = await h.receiver({ status: 422, body: 'x'.repeat(10_000) });
    const webhook = await h.createWebhook(receiver.url);
    await h.emit('trade.completed');
    await h.waitForAttempts((all) => all.length >= 1);
    const [delivery] = (await h.api('GET', `/api/webhooks/${webhook.id}/deliveries`)).body.data;
    expect(delivery.attempts[0]).toMatchObject({ statusCode: 422, error: 'HTTP 422' });
    expect(delivery.attempts[0].responseBody).toBe('x'.repeat(4096));
  });
});

describe('rate window (SPEC §4: 100 attempts per webhook per 60 s)', () => {
  it('sends 100 of 150 events in the first window and the other 50 after it, dropping and failing none', async () => {
    const scale = 0.04; // window 2.4 s
    const windowMs = 60_000 * scale;
    const h = await startHarness({ timeScale: scale });
    const receiver = await h.receiver();
    const other = await h.receiver();
    const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
    await h.createWebhook(other.url, ['trade.failed']);

    const answers = await Promise.all(Array.from({ length: 150 }, () => h.emit('trade.completed')));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    // Another webhook is not held back by the first one's window.
    await h.emit('trade.failed');
    await other.waitForCount(1, 5_000);

    await h.waitForAttempts((all) => all.filter((a) => a.webhookId === webhook.id).length === 150, 20_000);
    const attempts = h.attempts.filter((a) => a.webhookId === webhook.id);
    expect(attempts.every((a) => a.outcome === 'succeeded' && a.attempt === 1)).toBe(true);
    expect(new Set(attempts.map((a) => a.deliveryId)).size).toBe(150);
    expect(receiver.requests).toHaveLength(150);

    const starts = attempts.map((a) => Date.parse(a.at)).sort((a, b) => a - b);
    expect(starts[99]! - starts[0]!).toBeLessThan(windowMs);
    expect(starts[100]! - starts[0]!).toBeGreaterThanOrEqual(windowMs);
    // Never more than 100 in any window.
    for (let i = 0; i + 100 < starts.length; i++)
      expect(starts[i + 100]! - starts[i]!).toBeGreaterThanOrEqual(windowMs);

    const stats = (await h.api('GET', `/api/webhooks/${webhook.id}`)).body.stats;
    expect(stats).toMatchObject({ deliveries: 150, succeeded: 150, failed: 0 });
  });

  it('has no window with --rate-limit 0', async () => {
    const h = await startHarness({ timeScale: 1, rateLimit: 0 });
    const receiver = await h.receiver();
    await h.createWebhook(receiver.url);
    for (let i = 0; i < 120; i++) await h.emit('trade.completed');
    await receiver.waitForCount(120, 10_000); // with the default window the last 20 would wait 60 s
  });
});
