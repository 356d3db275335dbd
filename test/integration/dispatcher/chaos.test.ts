import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/core/api-types.js';
import { verify } from '../../../src/core/signature.js';
import { lastAttempt } from '../../../src/cli/webhook-view.js';
import type { AttemptInfo } from '../../../src/dispatcher/index.js';
import type { Receiver } from '../../helpers/receiver.js';
import { startHarness, type Harness } from './setup.js';

// Chaos delivery (issue 18) through createDispatcher({ chaos }): a real dispatcher on a real
// SQLite file, real receivers that verify each delivery and keep a ledger of the side effects
// they perform. No timed assertions: every check compares what the dispatcher reported with
// what the receivers saw.

interface Ledger {
  receiver: Receiver;
  /** Side effects performed, per event (webhook-id). */
  effects: Map<string, number>;
  /** The webhook's secret, known once it is created. */
  secret: string;
}

/** A receiver that verifies each delivery and performs its side effect: once per webhook-id when `idempotent`, else on every request. */
async function ledger(
  h: Harness,
  { idempotent, refuseDuplicates = false }: { idempotent: boolean; refuseDuplicates?: boolean },
): Promise<Ledger> {
  const seen = new Set<string>();
  const book: Ledger = { receiver: undefined as unknown as Receiver, effects: new Map(), secret: '' };
  book.receiver = await h.receiver((request) => {
    const verdict = verify({ payload: request.body, headers: request.headers, secret: book.secret });
    if (!verdict.ok) return { status: 401, body: verdict.message };
    const id = String(request.headers['webhook-id']);
    if (seen.has(id)) {
      if (refuseDuplicates) return { status: 500, body: 'duplicate key value violates unique constraint' };
      if (idempotent) return { status: 200, body: 'already done' };
    }
    seen.add(id);
    book.effects.set(id, (book.effects.get(id) ?? 0) + 1);
    return { status: 200 };
  });
  return book;
}

async function hook(h: Harness, book: Ledger): Promise<string> {
  const webhook = await h.createWebhook(book.receiver.url, ['trade.completed']);
  book.secret = webhook.secret as string;
  return webhook.id as string;
}

async function emitSerially(h: Harness, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const emitted = await h.emit('trade.completed');
    expect(emitted.status).toBe(202);
    ids.push(emitted.body.id as string);
  }
  return ids;
}

const of = (attempts: AttemptInfo[], webhookId: string) => attempts.filter((a) => a.webhookId === webhookId);
const originals = (attempts: AttemptInfo[]) => attempts.filter((a) => a.chaos !== 'duplicate');
const duplicates = (attempts: AttemptInfo[]) => attempts.filter((a) => a.chaos === 'duplicate');

describe('chaos delivery (issue 18)', () => {
  it('duplicates, reorders and delays deliveries: an idempotent receiver performs each effect once, a naive one some twice', async () => {
    const EVENTS = 20;
    // 0.1: the 5 s reorder hold is 0.5 s, a 0–1 s delay 0–100 ms, and the 1 s grace of close() lets a duplicate in flight finish.
    const h = await startHarness({
      timeScale: 0.1,
      chaos: { duplicate: 0.5, reorder: 0.3, delay: '0-1s', seed: 18 },
    });
    expect(h.dispatcher.chaos).toBe('duplicate=0.5,reorder=0.3,delay=0-1s,seed=18');
    const [naive, careful] = await Promise.all([ledger(h, { idempotent: false }), ledger(h, { idempotent: true })]);
    const naiveHook = await hook(h, naive);
    const carefulHook = await hook(h, careful);
    const events = await emitSerially(h, EVENTS);

    // Done: every delivery succeeded, and each receiver got one request per attempt reported.
    await h.waitForAttempts(
      (all) =>
        originals(all).filter((a) => a.outcome === 'succeeded').length === 2 * EVENTS &&
        [naive, careful].every(
          (book, i) =>
            book.receiver.requests.length === EVENTS + duplicates(of(all, [naiveHook, carefulHook][i]!)).length,
        ),
    );

    // Duplicates arrived: the same event (webhook-id), delivery and attempt twice, each signed afresh and valid.
    for (const [book, webhookId] of [
      [naive, naiveHook],
      [careful, carefulHook],
    ] as const) {
      const sent = duplicates(of(h.attempts, webhookId));
      expect(sent.length).toBeGreaterThan(0);
      for (const duplicate of sent) {
        const same = book.receiver.requests.filter((r) => r.headers['x-v2k-delivery'] === duplicate.deliveryId);
        expect(same).toHaveLength(2);
        expect(new Set(same.map((r) => r.headers['webhook-id']))).toEqual(new Set([duplicate.eventId]));
        expect(same.map((r) => r.headers['x-v2k-attempt'])).toEqual(['1', '1']);
        expect(duplicate).toMatchObject({ outcome: 'succeeded', statusCode: 200, attempt: 1, webhookDisabled: false });
      }
    }
    // The careful receiver performed each effect once; the naive one performed as many extra as it got duplicates.
    expect([...careful.effects.keys()].sort()).toEqual([...events].sort());
    expect([...careful.effects.values()].every((n) => n === 1)).toBe(true);
    const twice = [...naive.effects].filter(([, n]) => n === 2).map(([id]) => id);
    expect(twice.sort()).toEqual(
      duplicates(of(h.attempts, naiveHook))
        .map((a) => a.eventId)
        .sort(),
    );
    expect([...naive.effects.values()].every((n) => n === 1 || n === 2)).toBe(true);

    // Reordered: a delivery marked "reordered after X" reached its receiver after X, a later delivery.
    const reordered = originals(h.attempts).filter((a) => a.chaos?.includes('reordered after'));
    expect(reordered.length).toBeGreaterThan(0);
    for (const attempt of reordered) {
      const after = /reordered after (dlv_\w+)/.exec(attempt.chaos ?? '')?.[1] as string;
      expect(after > attempt.deliveryId).toBe(true); // ids sort in creation order
      const book = attempt.webhookId === naiveHook ? naive : careful;
      const arrival = (id: string) => book.receiver.requests.findIndex((r) => r.headers['x-v2k-delivery'] === id);
      expect(arrival(after)).toBeGreaterThanOrEqual(0);
      expect(arrival(after)).toBeLessThan(arrival(attempt.deliveryId));
    }

    // Delayed: a marked attempt started no sooner than its delay after the delivery was made.
    const delayed = originals(h.attempts).filter((a) => /delayed \d+ms/.test(a.chaos ?? ''));
    expect(delayed.length).toBeGreaterThan(0);
    for (const attempt of delayed.slice(0, 5)) {
      const ms = Number(/delayed (\d+)ms/.exec(attempt.chaos ?? '')?.[1]);
      const { body } = await h.api('GET', `/api/webhooks/${attempt.webhookId}/deliveries/${attempt.deliveryId}`);
      const delivery = body as Delivery;
      expect(Date.parse(attempt.at) - Date.parse(delivery.createdAt)).toBeGreaterThanOrEqual(ms);
      // The REST delivery marks its attempts too; the duplicate is an extra attempt row, marked.
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts[0]).toMatchObject({ number: 1, statusCode: 200, chaos: attempt.chaos });
      for (const extra of delivery.attempts.slice(1)) expect(extra).toMatchObject({ number: 1, chaos: 'duplicate' });
    }

    // Nothing else changed: every delivery succeeded at its first attempt, both webhooks are healthy.
    for (const webhookId of [naiveHook, carefulHook]) {
      const { body } = await h.api('GET', `/api/webhooks/${webhookId}`);
      expect(body).toMatchObject({ isActive: true, stats: { deliveries: EVENTS, succeeded: EVENTS, failed: 0 } });
    }
  });

  it('never counts a refused duplicate as a failure, and never changes its delivery', async () => {
    const h = await startHarness({ timeScale: 0.05, chaos: 'duplicate=1' });
    const book = await ledger(h, { idempotent: false, refuseDuplicates: true });
    const webhookId = await hook(h, book);
    await emitSerially(h, 12);
    await h.waitForAttempts((all) => duplicates(all).length === 12);

    const refused = duplicates(h.attempts);
    expect(refused.every((a) => a.statusCode === 500 && a.error === 'HTTP 500' && a.outcome === 'succeeded')).toBe(
      true,
    );
    const { body } = await h.api('GET', `/api/webhooks/${webhookId}`);
    expect(body).toMatchObject({ isActive: true, stats: { deliveries: 12, succeeded: 12, failed: 0 } });
    const list = await h.api('GET', `/api/webhooks/${webhookId}/deliveries?limit=100`);
    for (const delivery of list.body.data as Delivery[]) {
      expect(delivery.status).toBe('succeeded');
      expect(delivery.attempts.map((a) => [a.statusCode, a.chaos ?? null])).toEqual([
        [200, null],
        [500, 'duplicate'],
      ]);
    }
    // Shown as the delivery went: the monitoring page's last result is the 200, not the refused duplicate.
    const page = await fetch(`${h.dispatcher.url}/admin/api/overview?token=${h.dispatcher.adminToken}`);
    const overview = (await page.json()) as { recentDeliveries: Array<{ lastStatusCode: number; attempts: number }> };
    expect(overview.recentDeliveries).toHaveLength(12);
    for (const row of overview.recentDeliveries) expect(row).toMatchObject({ lastStatusCode: 200, attempts: 2 });
    expect(lastAttempt((list.body.data as Delivery[])[0]!)).toMatchObject({ statusCode: 200 });
    await h.dispatcher.close();
    // The last thing this webhook saw was a refused duplicate: counted, it would have left a failure.
    const db = new Database(h.dbPath, { readonly: true });
    try {
      expect(db.prepare('SELECT consecutive_failures FROM webhooks WHERE id = ?').pluck().get(webhookId)).toBe(0);
    } finally {
      db.close();
    }
  });

  it('sends no duplicate to a webhook deleted or disabled while the first copy was in flight', async () => {
    const h = await startHarness({ timeScale: 0.05, chaos: 'duplicate=1' });
    for (const change of ['delete', 'disable'] as const) {
      let release: () => void = () => undefined;
      const answered = new Promise<void>((resolve) => (release = resolve));
      const receiver = await h.receiver(async () => {
        await answered; // the first copy is in flight until the webhook has changed
        return { status: 200 };
      });
      const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
      const id = webhook.id as string;
      expect((await h.emit('trade.completed')).status).toBe(202);
      while (receiver.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      const res =
        change === 'delete'
          ? await h.api('DELETE', `/api/webhooks/${id}`)
          : await h.api('PATCH', `/api/webhooks/${id}`, { isActive: false });
      expect(res.status, change).toBeLessThan(300);
      release();
      await h.waitForAttempts((all) => of(all, id).some((a) => a.chaos !== 'duplicate' && a.outcome === 'succeeded'));
      // A duplicate would start right after the answer; give it that chance (and a scaled attempt's worth more).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(receiver.requests, change).toHaveLength(1);
      expect(duplicates(of(h.attempts, id)), change).toEqual([]);
    }
  });

  it("sends a duplicate to the webhook's URL and secret as they are now", async () => {
    const h = await startHarness({ timeScale: 0.05, chaos: 'duplicate=1' });
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (release = resolve));
    const before = await h.receiver(async () => {
      await answered;
      return { status: 200 };
    });
    const after = await h.receiver({ status: 200 });
    const webhook = await h.createWebhook(before.url, ['trade.completed']);
    const id = webhook.id as string;
    expect((await h.emit('trade.completed')).status).toBe(202);
    while (before.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect((await h.api('PATCH', `/api/webhooks/${id}`, { url: after.url })).status).toBe(200);
    const rotated = await h.api('POST', `/api/webhooks/${id}/rotate-secret`);
    expect(rotated.status).toBeLessThan(300);
    release();
    await h.waitForAttempts((all) => duplicates(of(all, id)).length === 1);
    expect(before.requests).toHaveLength(1);
    expect(after.requests).toHaveLength(1);
    const duplicate = after.requests[0]!;
    const secret = (rotated.body as { secret: string }).secret;
    expect(verify({ payload: duplicate.body, headers: duplicate.headers, secret }).ok).toBe(true);
  });

  it('replays the same duplicates from the same seed, events sent one at a time', async () => {
    const EVENTS = 15;
    const run = async () => {
      const h = await startHarness({
        timeScale: 0.1,
        chaos: { duplicate: 0.3, reorder: 0.3, delay: '0-2s', seed: 7 },
      });
      const book = await ledger(h, { idempotent: true });
      const webhookId = await hook(h, book);
      const events = await emitSerially(h, EVENTS);
      await h.waitForAttempts(
        (all) => originals(of(all, webhookId)).filter((a) => a.outcome === 'succeeded').length === EVENTS,
      );
      await h.dispatcher.close(); // a duplicate in flight finishes first
      const duplicated = new Set(duplicates(of(h.attempts, webhookId)).map((a) => a.eventId));
      return events.flatMap((id, i) => (duplicated.has(id) ? [i] : []));
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
    expect(await run()).toEqual(first);
  });

  it('sends a duplicate only when the rate window has room: never more attempts than the limit in any window', async () => {
    const LIMIT = 4;
    const WINDOW_MS = 60_000 * 0.01;
    const h = await startHarness({ timeScale: 0.01, rateLimit: LIMIT, chaos: { duplicate: 1 } });
    const book = await ledger(h, { idempotent: true });
    const webhookId = await hook(h, book);
    await emitSerially(h, 7);
    await h.waitForAttempts((all) => originals(all).filter((a) => a.outcome === 'succeeded').length === 7);
    await h.dispatcher.close(); // a duplicate in flight finishes first

    const starts = h.attempts.filter((a) => a.webhookId === webhookId).map((a) => Date.parse(a.at));
    starts.sort((a, b) => a - b);
    for (const [i, at] of starts.entries())
      expect(starts.filter((t) => t >= at && t < at + WINDOW_MS).length, `window at ${i}`).toBeLessThanOrEqual(LIMIT);
    expect(book.receiver.requests).toHaveLength(starts.length);
    expect(duplicates(h.attempts).length).toBeGreaterThan(0);
    expect([...book.effects.values()].every((n) => n === 1)).toBe(true);
  });

  it('leaves attempts unmarked, in the log and the API, without chaos', async () => {
    const h = await startHarness({ timeScale: 0.05 });
    const book = await ledger(h, { idempotent: false });
    const webhookId = await hook(h, book);
    await emitSerially(h, 3);
    await h.waitForAttempts((all) => all.length === 3);
    expect(h.dispatcher.chaos).toBeUndefined();
    expect(h.attempts.every((a) => !('chaos' in a))).toBe(true);
    const list = await h.api('GET', `/api/webhooks/${webhookId}/deliveries`);
    for (const delivery of list.body.data as Delivery[])
      expect(delivery.attempts.every((a) => !('chaos' in a) && Object.keys(a).length === 6)).toBe(true);
    expect(book.receiver.requests).toHaveLength(3);
  });
});
