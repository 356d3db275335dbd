import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFigures, ERROR_LIMIT } from '../../src/dispatcher/admin/figures.js';
import { insertEvent } from '../../src/dispatcher/accept.js';
import { createStore, type AttemptRow, type Store } from '../../src/dispatcher/store/index.js';

// The monitoring page's figures are kept incrementally (issue 16); they must stay exactly those
// of GET /api/webhooks/:id (store/stats.ts) whatever happens between two refreshes.

let dir: string;
let store: Store;
let clock = Date.parse('2026-01-01T00:00:00Z');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'v2k-figures-'));
  store = createStore({ path: join(dir, 'store.db'), now: () => clock });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A seeded pseudo-random sequence, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('incremental monitoring figures', () => {
  it.each([
    ['read in one piece', undefined],
    ['read 7 rows at a time', 7],
  ])('equal the SQL figures after every kind of change, refreshed at random moments (%s)', async (_name, chunk) => {
    const next = random(16);
    const hooks = ['wh_a', 'wh_b', 'wh_c'];
    for (const id of hooks)
      store.webhooks.insert({
        id,
        userId: 'u',
        url: `http://127.0.0.1:9/${id}`,
        events: ['*'],
        description: null,
        secret: 's',
      });
    const figures = createFigures(store, { chunk });
    const pending: Array<{ id: string; webhook: string; attempts: number }> = [];
    const body = Buffer.from('{}');

    const check = async (): Promise<void> => {
      await figures.refresh();
      const live = store.webhooks.listAll().map((w) => w.id);
      for (const id of live) expect(figures.stats([id]), id).toEqual(store.stats.forWebhook(id));
      expect(figures.stats(live)).toEqual(store.stats.forAll());
      for (const id of [null, ...hooks]) {
        const sql = store.attempts
          .failedRecent(id, ERROR_LIMIT)
          .map(({ duration_ms: _d, response_body: _r, seq: _s, ...rest }: AttemptRow & { seq?: number }) => rest);
        expect(figures.failures(id)).toEqual(sql);
      }
    };

    for (let step = 0; step < 600; step++) {
      clock += 10;
      const roll = next();
      if (roll < 0.35) {
        const webhook = hooks[Math.floor(next() * hooks.length)] as string;
        const { deliveryIds } = insertEvent(store, { userId: 'u', type: 'trade.failed', body, webhookIds: [webhook] });
        pending.push({ id: deliveryIds[0] as string, webhook, attempts: 0 });
      } else if (roll < 0.8 && pending.length > 0) {
        const delivery = pending[Math.floor(next() * pending.length)] as (typeof pending)[number];
        delivery.attempts++;
        const ok = next() < 0.6;
        store.attempts.insert({
          delivery_id: delivery.id,
          webhook_id: delivery.webhook,
          number: delivery.attempts,
          at: clock,
          status_code: ok ? 200 : next() < 0.5 ? 500 : null,
          duration_ms: Math.floor(next() * 50),
          error: ok ? null : 'HTTP 500',
          response_body: 'x',
        });
        if (ok || delivery.attempts === 4) {
          store.deliveries.claimDue(delivery.webhook, 1000, { token: 'lease', until: clock + 1000 });
          const end = ok ? 'succeeded' : 'failed';
          expect(store.deliveries.finish(delivery.id, 'lease', delivery.attempts, { status: end })).toBe(end);
          store.deliveries.releaseAll();
          pending.splice(pending.indexOf(delivery), 1);
        }
      } else if (roll < 0.84) {
        const webhook = hooks[Math.floor(next() * hooks.length)] as string;
        store.deliveries.cancelPending(webhook);
        for (let i = pending.length - 1; i >= 0; i--) if (pending[i]?.webhook === webhook) pending.splice(i, 1);
      } else if (roll < 0.85 && hooks.length > 1) {
        // As DELETE /api/webhooks/:id does.
        const webhook = hooks.pop() as string;
        store.webhooks.softDelete(webhook);
        store.deliveries.cancelPending(webhook);
        for (let i = pending.length - 1; i >= 0; i--) if (pending[i]?.webhook === webhook) pending.splice(i, 1);
      }
      if (next() < 0.15) await check();
    }
    await check();
  });
});
