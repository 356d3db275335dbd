import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../helpers/faulty-receiver.js';
import { startHarness } from './setup.js';

/**
 * Issue 15, defect 1: a mostly healthy receiver (200 after a pause, an immediate 500 about one
 * time in five) under a burst. Its fast 500s finish before its slow 200s; counted in the order
 * they finished, they made "10 consecutive failures" while successes were in flight, disabled the
 * webhook and recorded the 200s that came back afterwards as `cancelled`.
 */
const ROUNDS = 20;
/** More rounds at once would slow each one's senders, and fewer 500s would overtake the slow 200s. */
const PARALLEL_ROUNDS = 5;
const EVENTS = 90;
const SENDERS = 16;
const FAIL_RATE = 0.2;
/** The issue's receiver answered its 200s after 200 ms; slower here, so that on a loaded machine
 * (where the 16 senders get fewer events in per second) as many fast 500s still overtake them. */
const SLOW_OK_MS = 1_000;
/**
 * Timeout 5 s: far above the slow 200 even on a loaded machine, where a stall of a few seconds
 * would make real timeouts (real failures, that may rightly disable). Retries 1, 2 and 4 s later.
 */
const TIME_SCALE = 0.5;

async function round(seed: number) {
  const h = await startHarness({ timeScale: TIME_SCALE, rateLimit: 0 });
  const draw = seededRandom(seed); // seeded, so a failing round can be replayed
  const answered = new Map<string, number[]>(); // delivery id → statuses it was answered
  const receiver = await h.receiver((request) => {
    const failing = draw() < FAIL_RATE;
    const status = failing ? 500 : 200;
    const id = String(request.headers['x-v2k-delivery']);
    answered.set(id, [...(answered.get(id) ?? []), status]);
    return failing ? { status } : { status, delayMs: SLOW_OK_MS };
  });
  const webhook = await h.createWebhook(receiver.url, ['trade.completed']);
  let next = 0;
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < EVENTS) {
        next++;
        const res = await h.emit('trade.completed');
        expect(res.status).toBe(202);
      }
    }),
  );
  // Every delivery ends: succeeded, failed after 4 attempts, or (the defect) cancelled.
  let deliveries: Array<{ id: string; status: string }> = [];
  for (let i = 0; i < 400; i++) {
    deliveries = (await h.api('GET', `/api/webhooks/${webhook.id}/deliveries?limit=100`)).body.data;
    if (deliveries.length === EVENTS && deliveries.every((d) => d.status !== 'pending')) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const got = (await h.api('GET', `/api/webhooks/${webhook.id}`)).body;
  const cancelledAfter2xx = deliveries.filter(
    (d) => d.status === 'cancelled' && (answered.get(d.id) ?? []).some((s) => s >= 200 && s < 300),
  );
  await h.dispatcher.close();
  return {
    seed,
    disabled: got.isActive === false,
    pending: deliveries.filter((d) => d.status === 'pending').length,
    cancelledAfter2xx: cancelledAfter2xx.length,
    succeeded: got.stats.succeeded as number,
    requests: receiver.requests.length,
  };
}

describe('a burst on a mostly healthy receiver (issue 15)', () => {
  it(`${ROUNDS} rounds of ${EVENTS} events from ${SENDERS} senders: no webhook disabled, no 2xx recorded as cancelled`, async () => {
    const base = Number(process.env.V2K_BURST_SEED ?? Date.now() % 100_000);
    const results: Array<Awaited<ReturnType<typeof round>>> = [];
    for (let first = 0; first < ROUNDS; first += PARALLEL_ROUNDS) {
      const seeds = Array.from({ length: Math.min(PARALLEL_ROUNDS, ROUNDS - first) }, (_, i) => base + first + i);
      results.push(...(await Promise.all(seeds.map(round))));
    }
    console.log(
      `burst: seeds ${base}..${base + ROUNDS - 1}; ${results.map((r) => `${r.succeeded}/${r.requests}`).join(' ')} (succeeded/requests)`,
    );
    expect(results.filter((r) => r.disabled)).toEqual([]);
    expect(results.filter((r) => r.cancelledAfter2xx > 0)).toEqual([]);
    expect(results.filter((r) => r.pending > 0)).toEqual([]);
  });
});
