import { describe, expect, it } from 'vitest';
import { insertEvent, serializeEnvelope } from '../../../src/dispatcher/accept.js';
import { createStore } from '../../../src/dispatcher/store/index.js';
import { tempDb } from './setup.js';

/** The delivery queue's statements on a real SQLite file, with a clock the test moves. */
function setup() {
  let clock = 1_000_000;
  const store = createStore({ path: tempDb(), now: () => clock });
  const webhook = store.webhooks.insert({
    id: 'wh_1',
    userId: 'u',
    url: 'http://127.0.0.1:1/',
    events: ['*'],
    description: null,
    secret: 'whsec_x',
  });
  const accepted = store.transaction(() =>
    insertEvent(store, {
      userId: 'u',
      type: 'trade.failed',
      body: serializeEnvelope('trade.failed', { tradeId: 't', userId: 'u', reason: 'r' }, clock),
      webhookIds: [webhook.id],
    }),
  );
  return { store, deliveryId: accepted.deliveryIds[0]!, tick: (ms: number) => (clock += ms), now: () => clock };
}

const lease = (token: string, until: number) => ({ token, until });

describe('delivery queue and leases', () => {
  it('claims a due delivery once; an expired lease is reclaimed and a stale worker cannot finish it', () => {
    const { store, deliveryId, tick, now } = setup();
    const [claimed] = store.deliveries.claimDue('wh_1', 10, lease('lease-a', now() + 1_000));
    expect(claimed).toMatchObject({
      id: deliveryId,
      webhook_id: 'wh_1',
      user_id: 'u',
      attempt_count: 0,
      url: 'http://127.0.0.1:1/',
      event_type: 'trade.failed',
    });
    expect(claimed!.body.toString()).toMatch(
      /^\{"event":"trade.failed","timestamp":"[^"]+","data":\{"tradeId":"t","userId":"u","reason":"r"\}\}$/,
    );
    expect(store.deliveries.claimDue('wh_1', 10, lease('lease-b', now() + 1_000))).toEqual([]); // leased: nobody else gets it
    expect(store.deliveries.waiting()).toEqual([]);

    tick(999);
    expect(store.deliveries.reclaimExpired()).toBe(0);
    tick(1);
    expect(store.deliveries.reclaimExpired()).toBe(1);
    expect(store.deliveries.waiting()).toEqual([{ webhook_id: 'wh_1', user_id: 'u', due_at: now() - 1_000 }]);
    expect(store.deliveries.claimDue('wh_1', 10, lease('lease-c', now() + 1_000)).map((d) => d.id)).toEqual([
      deliveryId,
    ]);
    expect(store.deliveries.finish(deliveryId, 'lease-a', 1, { status: 'succeeded' })).toBeUndefined(); // the old lease is gone
    expect(store.deliveries.finish(deliveryId, 'lease-c', 1, { status: 'succeeded' })).toBe('succeeded');
    expect(store.deliveries.getForWebhook(deliveryId, 'wh_1')).toMatchObject({
      status: 'succeeded',
      attempt_count: 1,
      next_attempt_at: null,
    });
    store.close();
  });

  it('holds a retry until its time, and a deferred delivery until room opens', () => {
    const { store, deliveryId, tick, now } = setup();
    store.deliveries.claimDue('wh_1', 10, lease('a', now() + 5_000));
    expect(store.deliveries.finish(deliveryId, 'a', 1, { status: 'pending', retryAt: now() + 2_000 })).toBe('pending');
    expect(store.deliveries.waiting()).toEqual([{ webhook_id: 'wh_1', user_id: 'u', due_at: now() + 2_000 }]);
    tick(1_999);
    expect(store.deliveries.claimDue('wh_1', 10, lease('b', now() + 5_000))).toEqual([]);
    tick(1);
    const [retry] = store.deliveries.claimDue('wh_1', 10, lease('b', now() + 5_000));
    expect(retry!.attempt_count).toBe(1);
    store.deliveries.defer(deliveryId, 'b', now() + 500);
    expect(store.deliveries.claimDue('wh_1', 10, lease('c', now() + 5_000))).toEqual([]);
    tick(500);
    expect(store.deliveries.deferDue('wh_1', now() + 300)).toBe(1); // a full rate window: every due one waits
    expect(store.deliveries.claimDue('wh_1', 10, lease('c', now() + 5_000))).toEqual([]);
    tick(300);
    expect(store.deliveries.claimDue('wh_1', 10, lease('c', now() + 5_000))).toHaveLength(1);
    store.close();
  });

  it('does not claim deliveries of an inactive webhook, and cancels its pending ones', () => {
    const { store, deliveryId, now } = setup();
    store.webhooks.update('wh_1', { isActive: false });
    expect(store.deliveries.waiting()).toEqual([]);
    expect(store.deliveries.claimDue('wh_1', 10, lease('a', now() + 1_000))).toEqual([]);
    expect(store.deliveries.cancelPending('wh_1')).toBe(1);
    expect(store.deliveries.getForWebhook(deliveryId, 'wh_1')!.status).toBe('cancelled');
    store.close();
  });

  it('records a 2xx on a delivery cancelled while its attempt was in flight as succeeded, a failure as cancelled', () => {
    const { store, deliveryId, now } = setup();
    const second = store.transaction(() =>
      insertEvent(store, {
        userId: 'u',
        type: 'trade.failed',
        body: serializeEnvelope('trade.failed', { tradeId: 't2', userId: 'u', reason: 'r' }, now()),
        webhookIds: ['wh_1'],
      }),
    ).deliveryIds[0]!;
    expect(store.deliveries.claimDue('wh_1', 10, lease('a', now() + 1_000))).toHaveLength(2);
    store.webhooks.disable('wh_1', 'consecutive_failures');
    expect(store.deliveries.cancelPending('wh_1')).toBe(2);
    expect(store.deliveries.finish(deliveryId, 'a', 1, { status: 'succeeded' })).toBe('succeeded');
    expect(store.deliveries.finish(second, 'a', 1, { status: 'pending', retryAt: now() + 10 })).toBe('cancelled');
    expect(store.deliveries.getForWebhook(deliveryId, 'wh_1')).toMatchObject({ status: 'succeeded', attempt_count: 1 });
    expect(store.deliveries.getForWebhook(second, 'wh_1')).toMatchObject({
      status: 'cancelled',
      attempt_count: 1,
      next_attempt_at: null,
    });
    expect(store.deliveries.nextLeaseExpiry()).toBeNull(); // both released
    store.close();
  });

  it('counts consecutive failures only while active, and re-enabling clears them', () => {
    const { store } = setup();
    expect([1, 2, 3].map(() => store.webhooks.addFailure('wh_1'))).toEqual([1, 2, 3]);
    store.webhooks.resetFailures('wh_1');
    expect(store.webhooks.addFailure('wh_1')).toBe(1);
    expect(store.webhooks.disable('wh_1', 'consecutive_failures')).toBe(true);
    expect(store.webhooks.disable('wh_1', 'consecutive_failures')).toBe(false);
    expect(store.webhooks.addFailure('wh_1')).toBeUndefined();
    store.webhooks.update('wh_1', { isActive: true });
    expect(store.webhooks.getById('wh_1')).toMatchObject({
      is_active: 1,
      disabled_reason: null,
      consecutive_failures: 0,
    });
    store.close();
  });

  it("keeps each user's active webhooks for the accept path until a webhook changes or a transaction rolls back", async () => {
    const { store } = setup();
    const active = (): Array<{ id: string; events: readonly string[] }> =>
      store.webhooks.activeForUser('u').map((w) => ({ ...w }));
    expect(active()).toEqual([{ id: 'wh_1', events: ['*'], url: 'http://127.0.0.1:1/', secret: 'whsec_x' }]);
    store.webhooks.setSecret('wh_1', 'whsec_rotated');
    store.webhooks.update('wh_1', { url: 'http://127.0.0.1:3/' });
    expect(active()).toEqual([{ id: 'wh_1', events: ['*'], url: 'http://127.0.0.1:3/', secret: 'whsec_rotated' }]);
    store.webhooks.insert({
      id: 'wh_2',
      userId: 'u',
      url: 'http://127.0.0.1:2/',
      events: ['trade.failed'],
      description: null,
      secret: 'whsec_y',
    });
    expect(active().map((w) => w.id)).toEqual(['wh_1', 'wh_2']);
    store.webhooks.update('wh_2', { events: ['alert.triggered'] });
    expect(active()[1]).toMatchObject({ id: 'wh_2', events: ['alert.triggered'] });
    store.webhooks.disable('wh_1', 'consecutive_failures');
    expect(active().map((w) => w.id)).toEqual(['wh_2']);
    store.webhooks.update('wh_1', { isActive: true });
    expect(active().map((w) => w.id)).toEqual(['wh_1', 'wh_2']);
    store.webhooks.softDelete('wh_2');
    expect(active().map((w) => w.id)).toEqual(['wh_1']);

    // A write that is rolled back, read inside its transaction, must not stay remembered.
    expect(() =>
      store.transaction(() => {
        store.webhooks.disable('wh_1', null);
        expect(store.webhooks.activeForUser('u')).toEqual([]);
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    expect(active().map((w) => w.id)).toEqual(['wh_1']);
    // The same inside a group commit: the write that threw rolls back alone, its neighbour commits.
    const failed = store.commitSoon(() => {
      store.webhooks.disable('wh_1', null);
      expect(store.webhooks.activeForUser('u')).toEqual([]);
      throw new Error('rolled back');
    });
    const read = store.commitSoon(() => store.webhooks.activeForUser('u').map((w) => w.id));
    await expect(failed).rejects.toThrow('rolled back');
    expect(await read).toEqual(['wh_1']);
    expect(active().map((w) => w.id)).toEqual(['wh_1']);
    store.close();
  });
});
