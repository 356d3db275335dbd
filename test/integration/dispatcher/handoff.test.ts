import { afterEach, describe, expect, it } from 'vitest';
import { insertEvent, serializeEnvelope, stillActive } from '../../../src/dispatcher/accept.js';
import { createStore, type ClaimedDelivery } from '../../../src/dispatcher/store/index.js';
import { createWorker, type AttemptInfo } from '../../../src/dispatcher/worker.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { tempDb } from './setup.js';

/** The worker's handoff from the accept path (reserve, take, cancel), driven directly on a real store. */
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
  const worker = () => {
    const created = createWorker({
      store,
      now: Date.now,
      timeScale: 0.01,
      rateLimit: 0,
      concurrency: 1,
      onAttempt: (a) => attempts.push(a),
      onError: (e) => errors.push(e),
    });
    closing.push(() => created.stop(0));
    return created;
  };
  const body = serializeEnvelope('trade.failed', { tradeId: 't', userId: 'u', reason: 'r' }, Date.now());
  const accept = (lease?: { token: string; until: number }) =>
    store.transaction(() =>
      insertEvent(store, { userId: 'u', type: 'trade.failed', body, webhookIds: [webhook.id], lease }),
    );
  const claimed = (deliveryId: string, eventId: string): ClaimedDelivery => ({
    id: deliveryId,
    webhook_id: webhook.id,
    event_id: eventId,
    event_type: 'trade.failed',
    attempt_count: 0,
    url: receiver.url,
    secret: 'whsec_xxxx',
    body,
  });
  return { store, worker, accept, claimed, attempts, errors };
}

describe('handoff from the accept path to the worker', () => {
  it('gives a slot back when the transaction that reserved it failed', async () => {
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const { worker, accept, errors } = await setup(receiver);
    const w = worker();
    w.start(); // the queue is empty: the worker is quiet, its one slot free
    const reservation = w.reserve(1);
    expect(reservation).toBeDefined();
    expect(w.reserve(1)).toBeUndefined(); // its only slot is promised
    w.cancel(reservation!);
    accept(); // queued as usual
    w.wake();
    await receiver.waitForCount(1, 5_000); // the slot came back
    expect(errors).toEqual([]);
  });

  it('sends reserved deliveries once committed; taken after a stop, they stay leased and go out after the next start', async () => {
    const receiver = await startReceiver();
    closing.push(() => receiver.close());
    const { worker, accept, claimed, attempts } = await setup(receiver);
    const first = worker();
    first.start();
    const sent = first.reserve(1)!;
    const a = accept(sent);
    first.take(sent, [claimed(a.deliveryIds[0]!, a.eventId)]);
    await receiver.waitForCount(1, 5_000);

    await until(() => attempts.length === 1, 'the first attempt recorded');
    // Its slot is free again; a look at the queue (wake) finds it empty, so the worker is quiet.
    const held = await until(() => first.reserve(1) ?? (first.wake(), undefined), 'a reservation');
    const b = accept(held);
    await first.stop(0);
    first.take(held, [claimed(b.deliveryIds[0]!, b.eventId)]); // stopping: not sent
    await sleep(50);
    expect(receiver.requests).toHaveLength(1);

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
    const { store, claimed } = await setup(receiver);
    const other = store.webhooks.insert({
      id: 'wh_2',
      userId: 'u',
      url: receiver.url,
      events: ['*'],
      description: null,
      secret: 'whsec_yyyy',
    });
    const attempts: AttemptInfo[] = [];
    const w = createWorker({
      store,
      now: Date.now,
      timeScale: 0.01,
      rateLimit: 0,
      concurrency: 2,
      onAttempt: (a) => attempts.push(a),
      onError: (e) => {
        throw e;
      },
    });
    closing.push(() => w.stop(0));
    w.start();
    const body = serializeEnvelope('trade.failed', { tradeId: 't', userId: 'u', reason: 'r' }, Date.now());
    // One batch: the accept first, then what the worker records on wh_1's 10th failure in a row.
    const reservation = w.reserve(2)!;
    expect(reservation).toBeDefined();
    const accepted = store.commitSoon(() =>
      insertEvent(store, {
        userId: 'u',
        type: 'trade.failed',
        body,
        webhookIds: ['wh_1', other.id],
        lease: reservation,
      }),
    );
    const disabled = store.commitSoon(() => {
      store.webhooks.disable('wh_1', 'consecutive_failures');
      store.deliveries.cancelPending('wh_1');
    });
    const event = await accepted;
    await disabled;
    const handed = [
      claimed(event.deliveryIds[0]!, event.eventId),
      { ...claimed(event.deliveryIds[1]!, event.eventId), webhook_id: other.id },
    ];

    const sendable = stillActive(store, 'u', handed);
    expect(sendable.map((d) => d.webhook_id)).toEqual([other.id]);
    w.take(reservation, sendable);
    await until(() => attempts.length === 1, 'the attempt of the webhook still active');
    await sleep(50);
    expect(receiver.requests).toHaveLength(1);
    expect(attempts.map((a) => [a.webhookId, a.outcome])).toEqual([[other.id, 'succeeded']]);
    expect(store.deliveries.getForWebhook(event.deliveryIds[0]!, 'wh_1')?.status).toBe('cancelled');
  });
});
