import { afterEach, describe, expect, it } from 'vitest';
import { acceptEvent, serializeEnvelope } from '../../../src/dispatcher/accept.js';
import type { Handoff } from '../../../src/dispatcher/queue.js';
import { createStore } from '../../../src/dispatcher/store/index.js';
import { createWorker, type AttemptInfo } from '../../../src/dispatcher/worker.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { tempDb } from './setup.js';

/** The queue's handoff from the accept path (lease, hand, committed, failed), driven directly on a real store. */
const closing: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (bounded), for what happens on the worker's own turns. */
async function until<T>(check: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    await sleep(10);
  }
  throw new Error(`gave up waiting: ${what}`);
}

async function setup(receiver: Receiver) {
  const store = createStore({ path: tempDb(), now: Date.now });
  closing.push(() => store.close());
  const webhook = store.webhooks.insert({
    id: 'wh_1',
    userId: 'u',
    url: receiver.url,
    events: ['*'],
    description: null,
    secret: 'whsec_xxxx',
  });
  const attempts: AttemptInfo[] = [];
  const errors: unknown[] = [];
  const worker = (concurrency = 1) => {
    const created = createWorker({
      store,
      now: Date.now,
      timeScale: 0.01,
      rateLimit: 0,
      concurrency,
      onAttempt: (a) => attempts.push(a),
      onError: (e) => errors.push(e),
    });
    closing.push(() => created.stop(0));
    return created;
  };
  const body = serializeEnvelope('trade.failed', { tradeId: 't', userId: 'u', reason: 'r' }, Date.now());
  /** The accept path's part inside its transaction, for the user's active webhooks. */
  const accept = (handoff: Handoff) =>
    acceptEvent(store, handoff, {
      userId: 'u',
      type: 'trade.failed',
      body,
      webhooks: store.webhooks.activeForUser('u'),
    });
  return { store, webhook, worker, accept, attempts, errors };
}

describe('handoff from the accept path to the worker (queue.ts, rule 5)', () => {
  it('gives a slot back when the transaction that reserved it failed', async () => {
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const { store, worker, accept, errors } = await setup(receiver);
    const w = worker();
    w.start(); // the queue is empty: the worker is quiet, its one slot free
    const first = w.queue.handoff();
    expect(() =>
      store.transaction(() => {
        expect(accept(first).deliveryIds).toHaveLength(1);
        const second = w.queue.handoff();
        expect(second.lease(['wh_1'])).toBeUndefined(); // its only slot is promised
        second.failed();
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    first.failed();
    const queued = w.queue.handoff();
    store.transaction(() => accept(queued));
    queued.committed();
    await receiver.waitForCount(1, 5_000); // the slot came back
    expect(errors).toEqual([]);
  });

  it('sends handed deliveries once committed; handed after a stop, they stay leased and go out after the next start', async () => {
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const { store, worker, accept, attempts } = await setup(receiver);
    const first = worker();
    first.start();
    const sent = first.queue.handoff();
    const a = store.transaction(() => accept(sent));
    sent.committed();
    await receiver.waitForCount(1, 5_000);

    await until(() => attempts.length === 1, 'the first attempt recorded');
    // Its slot is free again; a look at the queue (wake) finds it empty, so the worker is quiet.
    const held = await until(() => {
      const handoff = first.queue.handoff();
      const lease = handoff.lease(['wh_1']);
      if (lease) return { ...handoff, lease: () => lease };
      handoff.committed(); // refused: nothing stored, and the queue takes another look
      return undefined;
    }, 'a handoff that leases');
    const b = store.transaction(() => accept(held));
    await first.stop(0);
    held.committed(); // stopping: not sent
    await sleep(50);
    expect(receiver.requests).toHaveLength(1);
    expect(store.deliveries.getForWebhook(b.deliveryIds[0]!, 'wh_1')).toMatchObject({ status: 'pending' });

    worker().start(); // as after a crash: the lease left in the store is released and the delivery sent
    await receiver.waitForCount(2, 5_000);
    expect(receiver.requests.map((r) => r.headers['x-v2k-event-id'])).toEqual([a.eventId, b.eventId]);
    await until(() => attempts.length === 2, 'the second attempt recorded');
    expect(attempts.map((x) => [x.eventId, x.outcome])).toEqual([
      [a.eventId, 'succeeded'],
      [b.eventId, 'succeeded'],
    ]);
  });

  it('does not send a handed delivery whose webhook was disabled later in the same group commit', async () => {
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const { store, worker, accept, attempts, errors } = await setup(receiver);
    const other = store.webhooks.insert({
      id: 'wh_2',
      userId: 'u',
      url: receiver.url,
      events: ['*'],
      description: null,
      secret: 'whsec_yyyy',
    });
    const w = worker(2);
    w.start();
    // One batch: the accept first, then what the worker records on wh_1's 10th failure in a row.
    const handoff = w.queue.handoff();
    const accepted = store.commitSoon(() => accept(handoff));
    const disabled = store.commitSoon(() => {
      store.webhooks.disable('wh_1', 'consecutive_failures');
      store.deliveries.cancelPending('wh_1');
    });
    const event = await accepted;
    await disabled;
    handoff.committed();
    await until(() => attempts.length === 1, 'the attempt of the webhook still active');
    await sleep(50);
    expect(receiver.requests).toHaveLength(1);
    expect(attempts.map((a) => [a.webhookId, a.outcome])).toEqual([[other.id, 'succeeded']]);
    expect(store.deliveries.getForWebhook(event.deliveryIds[0]!, 'wh_1')?.status).toBe('cancelled');
    expect(store.deliveries.nextLeaseExpiry()).toBeNull(); // the cancelled one's lease was given back
    expect(errors).toEqual([]);
  });
});
