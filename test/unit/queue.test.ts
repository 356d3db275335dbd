import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { insertEvent, serializeEnvelope } from '../../src/dispatcher/accept.js';
import { createChaos, type Chaos } from '../../src/dispatcher/chaos.js';
import { REORDER_HOLD_MS, createRateWindow, reserveSlots } from '../../src/dispatcher/policy.js';
import { share, type DueWebhook, type SlotUse } from '../../src/dispatcher/fair-share.js';
import { MAX_IDLE_MS, createQueue } from '../../src/dispatcher/queue.js';
import {
  createStore,
  type AttemptEnd,
  type ClaimedDelivery,
  type Lease,
  type Store,
} from '../../src/dispatcher/store/index.js';

/**
 * The queue's rules (src/dispatcher/queue.ts) on a fake clock and fake timers: a real SQLite
 * file, no sockets. `run` stands in for the worker: each attempt waits until the test finishes it.
 */
interface Started {
  delivery: ClaimedDelivery;
  lease: Lease;
  startedAt: number;
  /** What chaos did to it (rule 7), if anything. */
  chaos: string | undefined;
  finish(end?: AttemptEnd): Promise<void>;
}

let store: Store;
const stops: Array<() => void> = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'], now: 1_000_000 });
  store = createStore({ path: join(mkdtempSync(join(tmpdir(), 'v2k-queue-')), 'q.db'), now: () => Date.now() });
});
afterEach(() => {
  while (stops.length > 0) stops.pop()?.();
  store.close();
  vi.useRealTimers();
});

/** Lets due timers, immediates and promise callbacks run, moving the fake clock by `ms`. */
const advance = (ms = 0) => vi.advanceTimersByTimeAsync(ms);

function webhook(id: string, user: string): void {
  store.webhooks.insert({
    id,
    userId: user,
    url: `http://127.0.0.1:9/${id}`,
    events: ['*'],
    description: null,
    secret: 'whsec_x',
  });
}

function enqueue(webhookId: string, user: string, count = 1): string[] {
  const body = serializeEnvelope('trade.failed', { tradeId: 't', userId: user, reason: 'r' }, Date.now());
  return Array.from({ length: count }, () =>
    store.transaction(
      () =>
        insertEvent(store, { userId: user, type: 'trade.failed', body, webhookIds: [webhookId] })
          .deliveryIds[0] as string,
    ),
  );
}

function queue(options: {
  concurrency: number;
  rateLimit?: number;
  windowMs?: number;
  leaseMs?: number;
  chaos?: Chaos;
}) {
  const started: Started[] = [];
  const errors: unknown[] = [];
  const q = createQueue({
    store,
    now: () => Date.now(),
    concurrency: options.concurrency,
    leaseMs: options.leaseMs ?? 30_000,
    rate: createRateWindow(options.rateLimit ?? 0, options.windowMs ?? 60_000),
    windowMs: options.windowMs ?? 60_000,
    chaos: options.chaos,
    run(delivery, lease, startedAt, chaos) {
      return new Promise<void>((resolve) => {
        started.push({
          delivery,
          lease,
          startedAt,
          chaos,
          async finish(end = { status: 'succeeded' }) {
            store.deliveries.finish(delivery.id, lease.token, delivery.attempt_count + 1, end);
            if (end.status === 'pending') q.dueAt(end.retryAt);
            resolve();
            await advance();
          },
        });
      });
    },
    onError: (error) => errors.push(error),
  });
  stops.push(() => q.stop());
  const ids = (from = 0) => started.slice(from).map((s) => s.delivery.id);
  const of = (webhookId: string) => started.filter((s) => s.delivery.webhook_id === webhookId);
  return { q, started, errors, ids, of };
}

describe('fair share (queue.ts rules 2 and 3), pure', () => {
  const use = (over: Partial<SlotUse> = {}): SlotUse => ({
    concurrency: 8,
    shared: 0,
    reserve: 0,
    byWebhook: new Map(),
    byUser: new Map(),
    reserveByUser: new Map(),
    ...over,
  });
  const due = (webhookId: string, userId: string, dueAt = 0, room = Infinity): DueWebhook => ({
    webhookId,
    userId,
    dueAt,
    room,
  });
  const grants = (result: ReturnType<typeof share>) => Object.fromEntries(result);

  it.each([
    [
      'a lone webhook gets every free shared slot (work-conserving)',
      [due('a', 'u1')],
      use(),
      { a: { shared: 8, reserve: 0 } },
    ],
    ['its rate window caps it', [due('a', 'u1', 0, 3)], use(), { a: { shared: 3, reserve: 0 } }],
    [
      'two users split the free slots, whatever their number of webhooks',
      [due('a1', 'u1'), due('a2', 'u1'), due('a3', 'u1'), due('b', 'u2', 5)],
      use(),
      {
        a1: { shared: 2, reserve: 0 },
        a2: { shared: 1, reserve: 0 },
        a3: { shared: 1, reserve: 0 },
        b: { shared: 4, reserve: 0 },
      },
    ],
    [
      'freed slots go to the user with fewest in flight first',
      [due('a', 'u1'), due('b', 'u2', 5)],
      use({ shared: 5, byWebhook: new Map([['a', 5]]), byUser: new Map([['u1', 5]]) }),
      { b: { shared: 3, reserve: 0 } },
    ],
    [
      'then to the webhook with fewest in flight, within a user',
      [due('a1', 'u1'), due('a2', 'u1', 5)],
      use({ shared: 6, byWebhook: new Map([['a1', 6]]), byUser: new Map([['u1', 6]]) }),
      { a2: { shared: 2, reserve: 0 } },
    ],
    [
      'with every shared slot taken, a webhook with none in flight gets a reserve slot',
      [due('a', 'u1'), due('b', 'u2', 5)],
      use({ shared: 8, byWebhook: new Map([['a', 8]]), byUser: new Map([['u1', 8]]) }),
      { b: { shared: 0, reserve: 1 } },
    ],
    [
      'but no more than the reserve holds',
      [due('b', 'u2', 1), due('c', 'u3', 2)],
      use({ shared: 8, byWebhook: new Map([['a', 8]]), byUser: new Map([['u1', 8]]) }),
      { b: { shared: 0, reserve: 1 } },
    ],
    [
      'and at most half the reserve to one user',
      [due('b1', 'u2', 1), due('b2', 'u2', 2), due('b3', 'u2', 3), due('c', 'u3', 4)],
      use({ concurrency: 32, shared: 32, byWebhook: new Map([['a', 32]]), byUser: new Map([['u1', 32]]) }),
      { b1: { shared: 0, reserve: 1 }, b2: { shared: 0, reserve: 1 }, c: { shared: 0, reserve: 1 } },
    ],
    [
      'a webhook with an attempt in flight gets no reserve slot',
      [due('a', 'u1')],
      use({ shared: 8, byWebhook: new Map([['a', 8]]), byUser: new Map([['u1', 8]]) }),
      {},
    ],
  ])('%s', (_, dueList, slotUse, expected) => {
    expect(grants(share(dueList, slotUse))).toEqual(expected);
  });

  it('keeps a reserve of an eighth of the slots, at least one', () => {
    expect([1, 8, 9, 64, 128].map(reserveSlots)).toEqual([1, 1, 2, 8, 16]);
  });
});

describe('the delivery queue on a fake clock', () => {
  it('starts a lone webhook in every shared slot, oldest first, and fills a freed slot with the next', async () => {
    webhook('wh_a', 'u1');
    const queued = enqueue('wh_a', 'u1', 6);
    const { q, started, ids } = queue({ concurrency: 4 });
    q.start();
    await advance();
    expect(ids()).toEqual(queued.slice(0, 4));
    await started[1]!.finish();
    expect(ids(4)).toEqual([queued[4]]);
    expect(q.inFlight).toBe(4);
  });

  it("sends another user's delivery at once while one webhook holds every shared slot, and gives it the next freed slot", async () => {
    webhook('wh_a', 'u1');
    webhook('wh_b', 'u2');
    webhook('wh_c', 'u3');
    enqueue('wh_a', 'u1', 30);
    const { q, started, of } = queue({ concurrency: 8 }); // reserve: 1
    q.start();
    await advance();
    expect(of('wh_a')).toHaveLength(8);

    const [b] = enqueue('wh_b', 'u2');
    q.wake();
    await advance();
    expect(of('wh_b').map((s) => s.delivery.id)).toEqual([b]); // in the reserve, no time passed

    const [c] = enqueue('wh_c', 'u3');
    q.wake();
    await advance();
    expect(of('wh_c')).toEqual([]); // the reserve is taken: it waits for a slot
    await started[0]!.finish(); // one of wh_a's frees a shared slot: the user with none in flight gets it
    expect(of('wh_c').map((s) => s.delivery.id)).toEqual([c]);
    expect(of('wh_a')).toHaveLength(8);
  });

  it('holds a retry until its time, on the one clock', async () => {
    webhook('wh_a', 'u1');
    enqueue('wh_a', 'u1');
    const { q, started } = queue({ concurrency: 2 });
    q.start();
    await advance();
    await started[0]!.finish({ status: 'pending', retryAt: Date.now() + 2_000 });
    await advance(1_999);
    expect(started).toHaveLength(1);
    await advance(1);
    expect(started).toHaveLength(2);
    expect(started[1]!.delivery.attempt_count).toBe(1);
  });

  it('starts no more than the rate window allows; the rest wait in the store until room opens', async () => {
    webhook('wh_a', 'u1');
    const queued = enqueue('wh_a', 'u1', 5);
    const { q, started, ids } = queue({ concurrency: 8, rateLimit: 2, windowMs: 1_000 });
    q.start();
    await advance();
    expect(ids()).toEqual(queued.slice(0, 2));
    for (const s of started) await s.finish();
    expect(store.deliveries.waiting()).toEqual([{ webhook_id: 'wh_a', user_id: 'u1', due_at: Date.now() + 1_000 }]);
    await advance(999);
    expect(started).toHaveLength(2);
    await advance(1);
    expect(ids(2)).toEqual(queued.slice(2, 4));
  });

  it('hands over an accepted event while nothing waits, queues it while something does, and gives slots back on failure', async () => {
    webhook('wh_a', 'u1');
    const { q, started } = queue({ concurrency: 2 });
    q.start();
    await advance();
    const refused = q.handoff();
    const held = q.handoff();
    expect(held.lease(['wh_a', 'wh_b'])).toBeDefined(); // quiet and room: both slots
    expect(refused.lease(['wh_a'])).toBeUndefined(); // no room left: it queues
    held.failed(); // the transaction failed: the slots come back
    refused.committed();
    await advance();
    const handoff = q.handoff();
    expect(handoff.lease(['wh_a'])).toBeDefined(); // the look after the refusal found nothing waiting
    handoff.committed();
    expect(started).toEqual([]);

    enqueue('wh_a', 'u1', 3); // waiting in the store, no wake yet
    q.wake();
    await advance();
    expect(started).toHaveLength(2);
    expect(q.handoff().lease(['wh_a'])).toBeUndefined(); // one waits: a new event may not overtake it
  });

  it('reclaims a lease its attempt outlived, and a start releases every lease a dead run left', async () => {
    webhook('wh_a', 'u1');
    const [id] = enqueue('wh_a', 'u1');
    const first = queue({ concurrency: 2, leaseMs: 5_000 });
    first.q.start();
    await advance();
    expect(first.ids()).toEqual([id]);
    first.q.stop(); // as if the process died with the attempt in flight
    const second = queue({ concurrency: 2, leaseMs: 5_000 });
    second.q.start();
    await advance();
    expect(second.ids()).toEqual([id]); // released at start: at least once

    await advance(5_000 + MAX_IDLE_MS); // that attempt hangs past its lease
    expect(second.ids()).toEqual([id, id]);
    expect(second.errors).toEqual([]);
  });

  it(`looks at the store at least every ${MAX_IDLE_MS} ms, even when nobody wakes it`, async () => {
    webhook('wh_a', 'u1');
    const { q, started } = queue({ concurrency: 2 });
    q.start();
    await advance();
    enqueue('wh_a', 'u1');
    await advance(MAX_IDLE_MS - 1);
    expect(started).toHaveLength(0);
    await advance(1);
    expect(started).toHaveLength(1);
  });

  describe('chaos (rule 7)', () => {
    const chaos = (over: { reorder?: number; delayMinMs?: number; delayMaxMs?: number; seed?: number }) =>
      createChaos({ duplicate: 0, reorder: 0, delayMinMs: 0, delayMaxMs: 0, seed: 1, ...over }, 1);

    it('holds a delivery back in the store without a slot, and sends it once a later one has ended', async () => {
      webhook('wh_a', 'u1');
      const [first, second] = enqueue('wh_a', 'u1', 2);
      // Seed 5 at one in two: the first delivery's attempt is held back, the second's is not.
      const { q, started, ids, errors } = queue({ concurrency: 1, chaos: chaos({ reorder: 0.5, seed: 5 }) });
      q.start();
      await advance();
      expect(ids()).toEqual([second]); // the only slot went to the later delivery
      expect(started[0]!.chaos).toBeUndefined();
      await advance(1_000);
      expect(ids()).toEqual([second]); // held while the later one is in flight
      await started[0]!.finish();
      expect(ids()).toEqual([second, first]);
      expect(started[1]!.chaos).toBe(`reordered after ${second}`);
      expect(errors).toEqual([]);
    });

    it('lets a held delivery go when no later one comes', async () => {
      webhook('wh_a', 'u1');
      const [lone] = enqueue('wh_a', 'u1');
      const { q, started, ids } = queue({ concurrency: 1, chaos: chaos({ reorder: 1 }) });
      q.start();
      await advance(REORDER_HOLD_MS - 1);
      expect(ids()).toEqual([]);
      await advance(1);
      expect(ids()).toEqual([lone]);
      expect(started[0]!.chaos).toBe('held back 5s, no later delivery came');
    });

    it('delays an attempt in the store, holding no slot', async () => {
      webhook('wh_a', 'u1');
      const [late] = enqueue('wh_a', 'u1');
      const { q, started, ids } = queue({ concurrency: 1, chaos: chaos({ delayMinMs: 2_000, delayMaxMs: 2_000 }) });
      q.start();
      await advance();
      expect(ids()).toEqual([]);
      await advance(1_999);
      expect(ids()).toEqual([]);
      await advance(1);
      expect(ids()).toEqual([late]);
      expect(started[0]!.chaos).toBe('delayed 2s');
    });

    it('sends without a mark and holds nothing when chaos is off', async () => {
      webhook('wh_a', 'u1');
      const queued = enqueue('wh_a', 'u1', 2);
      const { q, started, ids } = queue({ concurrency: 2 });
      q.start();
      await advance();
      expect(ids()).toEqual(queued);
      expect(started.map((s) => s.chaos)).toEqual([undefined, undefined]);
    });
  });
});
