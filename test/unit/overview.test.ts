import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildOverview } from '../../src/dispatcher/admin/overview.js';
import { insertEvent } from '../../src/dispatcher/accept.js';
import { createStore, type Store } from '../../src/dispatcher/store/index.js';

// A real store on a real SQLite file, filled with a known set of deliveries and attempts, so the
// overview's rates, average and p95 can be checked against figures worked out by hand.

let dir: string;
let store: Store;
let clock = Date.parse('2026-01-01T00:00:00Z');
const now = () => clock;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'v2k-overview-'));
  store = createStore({ path: join(dir, 'store.db'), now });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function webhook(id: string, userId = 'user_a', description: string | null = null) {
  return store.webhooks.insert({
    id,
    userId,
    url: `http://127.0.0.1:9/${id}`,
    events: ['*'],
    description,
    secret: `whsec_secret_of_${id}`,
  });
}

/** One delivery to `webhookId` whose attempts took `attempts` (ms, status or null for a network error). */
function delivery(
  webhookId: string,
  attempts: Array<[number, number | null]>,
  outcome: 'succeeded' | 'failed' | 'pending',
) {
  const body = Buffer.from(
    JSON.stringify({
      event: 'trade.failed',
      timestamp: new Date(clock).toISOString(),
      data: { tradeId: 't', userId: 'user_a', reason: 'r' },
    }),
  );
  const { deliveryIds } = insertEvent(store, { userId: 'user_a', type: 'trade.failed', body, webhookIds: [webhookId] });
  const id = deliveryIds[0] as string;
  attempts.forEach(([durationMs, statusCode], i) => {
    clock += 1000;
    store.attempts.insert({
      delivery_id: id,
      webhook_id: webhookId,
      number: i + 1,
      at: clock,
      status_code: statusCode,
      duration_ms: durationMs,
      error: statusCode === null ? 'connect ECONNREFUSED' : statusCode >= 300 ? `HTTP ${statusCode}` : null,
      response_body: statusCode === null ? null : `answer ${i + 1}`,
    });
  });
  if (outcome !== 'pending') {
    const [claimed] = store.deliveries.claimDue(webhookId, 1, { token: 'token', until: clock + 60_000 });
    expect(claimed?.id).toBe(id);
    expect(store.deliveries.finish(id, 'token', attempts.length, { status: outcome })).toBe(outcome);
  }
  return id;
}

describe('monitoring overview figures', () => {
  it('computes rates, average and nearest-rank p95 from a known set of attempts', () => {
    webhook('wh_a');
    webhook('wh_b', 'user_b');
    // wh_a: 20 single-attempt deliveries taking 10, 20, … 200 ms; the 3rd and 7th answered 500.
    for (let i = 1; i <= 20; i++)
      delivery('wh_a', [[i * 10, i === 3 || i === 7 ? 500 : 200]], i === 3 || i === 7 ? 'failed' : 'succeeded');
    // wh_b: one delivery still pending after a refused connection (5 ms).
    delivery('wh_b', [[5, null]], 'pending');

    const overview = buildOverview(store, null, now());
    const a = overview.webhooks.find((w) => w.id === 'wh_a');
    expect(a?.stats).toMatchObject({
      deliveries: 20,
      succeeded: 18,
      failed: 2,
      successRate: 18 / 20,
      failureRate: 2 / 20,
      avgResponseMs: 105, // (10 + … + 200) / 20
      p95ResponseMs: 190, // the 19th of 20 sorted durations
    });
    const b = overview.webhooks.find((w) => w.id === 'wh_b');
    expect(b?.owner).toBe('user_b');
    expect(b?.stats).toMatchObject({
      deliveries: 1,
      succeeded: 0,
      failed: 0,
      successRate: null,
      failureRate: null,
      avgResponseMs: 5,
      p95ResponseMs: 5,
    });

    // Totals over both: 21 attempts → avg round(2105 / 21) = 100, p95 = the 20th of 21 sorted = 190.
    expect(overview.totals).toMatchObject({
      deliveries: 21,
      succeeded: 18,
      failed: 2,
      avgResponseMs: 100,
      p95ResponseMs: 190,
    });
  });

  it('lists the latest 50 deliveries newest first with their last attempt, and the error log newest first', () => {
    webhook('wh_a');
    const first = delivery(
      'wh_a',
      [
        [30, 503],
        [40, 502],
        [50, 200],
      ],
      'succeeded',
    );
    for (let i = 0; i < 55; i++) delivery('wh_a', [[1, 200]], 'succeeded');
    const latest = delivery('wh_a', [[7, null]], 'pending');

    const overview = buildOverview(store, null, now());
    expect(overview.recentDeliveries).toHaveLength(50);
    expect(overview.recentDeliveries[0]).toMatchObject({
      id: latest,
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      durationMs: 7,
    });
    expect(overview.recentDeliveries.some((d) => d.id === first)).toBe(false);

    expect(overview.errors.map((e) => [e.deliveryId, e.attempt, e.statusCode])).toEqual([
      [latest, 1, null],
      [first, 2, 502],
      [first, 1, 503],
    ]);
    expect(overview.errors[0]).toMatchObject({ event: 'trade.failed', error: 'connect ECONNREFUSED' });
  });

  it('filters by webhook and agrees with the per-webhook stats of the API', () => {
    webhook('wh_a');
    webhook('wh_b');
    delivery('wh_a', [[10, 200]], 'succeeded');
    delivery(
      'wh_b',
      [
        [20, 500],
        [30, 500],
      ],
      'pending',
    );

    const overview = buildOverview(store, 'wh_b', now());
    expect(overview.webhooks.map((w) => w.id)).toEqual(['wh_b']);
    expect(overview.recentDeliveries.every((d) => d.webhookId === 'wh_b')).toBe(true);
    expect(overview.errors.every((e) => e.webhookId === 'wh_b')).toBe(true);
    const { failureRate: _, ...stats } = overview.totals;
    expect(stats).toEqual(store.stats.forWebhook('wh_b'));
  });

  it('never carries a secret', () => {
    webhook('wh_a', 'user_a', '<script>alert(1)</script>');
    delivery('wh_a', [[10, 200]], 'succeeded');
    const json = JSON.stringify(buildOverview(store, null, now()));
    expect(json).not.toContain('whsec_');
    expect(json).toContain('<script>alert(1)</script>'); // data stays data; the page escapes it
  });
});
