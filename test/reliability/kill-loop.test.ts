import { describe, expect, it } from 'vitest';
import { startDispatcher, type RunningDispatcher } from '../helpers/dispatcher.js';
import { seededRandom, startFaultyReceiver } from '../helpers/faulty-receiver.js';
import { readDatabase } from './support.js';

/**
 * SPEC §4: "An accepted event (202) is committed … before the answer. A crash at any moment
 * loses nothing." Five SIGKILLs at seeded random moments while events are being accepted and
 * delivered, each followed by a restart on the same file.
 *
 * Every request carries an Idempotency-Key; a request cut by a kill is sent again (same key,
 * same body) once the dispatcher is back, as a careful client does. One in ten is invalid on
 * purpose and must be refused and never appear.
 */
const SEED = Number(process.env.V2K_KILL_SEED ?? 5);
const ROUNDS = 5;
const KEY = 'kill_key';
const PARALLEL = 16;
/**
 * Attempts time out after 10 s × TIME_SCALE. At 0.05 (0.5 s) a starved CI machine could time
 * out ten attempts in a row, and the webhook was auto-disabled (SPEC §4) — not what this test
 * is about; 1.5 s leaves room while retries still come within a second.
 */
const TIME_SCALE = 0.15;
/**
 * No rate limit: the window is not what this test is about, and any finite limit makes it depend
 * on the machine's speed. With 5,000 attempts per window, Node 24 accepted events fast enough to
 * use the window up by round 5, and a round delivered nothing (issue 13).
 */
const RATE_LIMIT = 0;
/**
 * Each sender sends at most one event per SEND_INTERVAL_MS, so the load is the same on a fast
 * machine as on a slow one (at most PARALLEL / SEND_INTERVAL_MS events per ms), and the final
 * wait for every delivery does not grow with the machine's speed.
 */
const SEND_INTERVAL_MS = 20;

type Outcome = 'accepted' | 'refused';

describe('kill loop: SIGKILL at random moments, restart on the same file (SPEC §4)', () => {
  it('delivers every event that got a 202 at least once, and never one that was refused', async () => {
    const random = seededRandom(SEED);
    const receiver = await startFaultyReceiver({
      seed: SEED,
      rates: { error500: 0.1, reset: 0.05 },
      holdMs: 1_000,
      limit: { faults: 3, of: 10, holds: 0, perMs: 1 },
    });
    let current: RunningDispatcher | undefined = await startDispatcher({
      timeScale: TIME_SCALE,
      rateLimit: RATE_LIMIT,
      userKeys: [`${KEY}:user_kill`],
    });
    const dbPath = current.dbPath;
    const started: RunningDispatcher[] = [current];
    const outcomes = new Map<number, Outcome>();
    const eventIds = new Map<number, string>();
    let cutByKill = 0;
    let stopLoad = false;
    let next = 0;

    try {
      const created = await fetch(`${current.url}/api/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url(), events: ['trade.failed'] }),
      });
      expect(created.status).toBe(201);

      /** Sends event n until it gets an answer: through kills and restarts, with the same key and body. */
      const send = async (n: number): Promise<void> => {
        const valid = n % 10 !== 7;
        const body = JSON.stringify({
          event: 'trade.failed',
          data: { tradeId: `kill-${n}`, userId: 'x', reason: valid ? `round event ${n}` : 42 },
        });
        for (;;) {
          const target = current;
          if (target === undefined) {
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
          }
          let res: Response;
          try {
            res = await fetch(`${target.url}/api/events`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${KEY}`,
                'content-type': 'application/json',
                'idempotency-key': `kill-${n}`,
              },
              body,
            });
          } catch {
            cutByKill++; // no answer: the dispatcher died under it; it may or may not have been committed
            await new Promise((resolve) => setTimeout(resolve, 10));
            continue;
          }
          const answer = (await res.json().catch(() => undefined)) as { id?: string } | undefined;
          if (res.status === 202) {
            outcomes.set(n, 'accepted');
            const earlier = eventIds.get(n);
            if (earlier !== undefined) expect(answer?.id).toBe(earlier);
            eventIds.set(n, String(answer?.id));
          } else {
            expect(res.status, `event ${n}`).toBe(400);
            outcomes.set(n, 'refused');
          }
          return;
        }
      };
      const load = Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (!stopLoad) {
            const due = Date.now() + SEND_INTERVAL_MS;
            await send(next++);
            const rest = due - Date.now();
            if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
          }
        }),
      );

      const perRound: Array<{ accepted: number; received: number }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const before = { accepted: outcomes.size, received: receiver.records.length };
        await new Promise((resolve) => setTimeout(resolve, 200 + Math.floor(random() * 700)));
        perRound.push({
          accepted: outcomes.size - before.accepted,
          received: receiver.records.length - before.received,
        });
        const victim = current;
        current = undefined;
        victim.kill();
        const result = await victim.process;
        expect(result.signal).toBe('SIGKILL');
        current = await startDispatcher({
          dbPath,
          timeScale: TIME_SCALE,
          rateLimit: RATE_LIMIT,
          userKeys: [`${KEY}:user_kill`],
        });
        started.push(current);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      stopLoad = true;
      await load;

      const accepted = [...outcomes].filter(([, o]) => o === 'accepted').map(([n]) => n);
      const refused = [...outcomes].filter(([, o]) => o === 'refused').map(([n]) => n);
      // Each kill hit a dispatcher that was accepting events and delivering them. If one was not
      // delivering, say what state the webhook was in (on a starved machine, attempts that time
      // out ten times in a row disable it, as SPEC §4 says) rather than only "0 > 0".
      if (perRound.some((round) => round.received === 0)) {
        const webhooks = await (
          await fetch(`${current.url}/api/webhooks`, {
            headers: { authorization: `Bearer ${KEY}` },
          })
        ).json();
        expect.fail(
          `a round delivered nothing: rounds ${JSON.stringify(perRound)}; webhooks ${JSON.stringify(webhooks)}; the receiver saw ${receiver.records.length} requests in all`,
        );
      }
      for (const round of perRound) expect(round.accepted).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(10);

      const receivedNumbers = (): Set<number> =>
        new Set(receiver.records.map((r) => Number(/"tradeId":"kill-(\d+)"/.exec(r.body.toString('utf8'))?.[1])));
      await receiver.waitFor(() => {
        const got = receivedNumbers();
        return accepted.every((n) => got.has(n));
      }, 30_000);
      const final = current;
      // Retries of deliveries that reached the receiver but failed there are still due: let them finish.
      const webhookId = ((await created.json()) as { id: string }).id;
      for (let waited = 0; ; waited += 50) {
        const pending = await fetch(`${final.url}/api/webhooks/${webhookId}/deliveries?status=pending&limit=1`, {
          headers: { authorization: `Bearer ${KEY}` },
        });
        if (((await pending.json()) as { data: unknown[] }).data.length === 0) break;
        if (waited > 30_000) throw new Error('deliveries still pending 30 s after the last restart');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await final.stop();
      expect(final.stderr()).toBe('');

      const got = receivedNumbers();
      expect(accepted.filter((n) => !got.has(n))).toEqual([]);
      expect(refused.filter((n) => got.has(n))).toEqual([]);
      // One event per number whatever the kills did: a request cut after its commit was replayed, not stored twice.
      const db = readDatabase(dbPath);
      const stored = db.events.map((e) => Number(/"tradeId":"kill-(\d+)"/.exec(e.body.toString('utf8'))?.[1]));
      expect(stored.slice().sort((a, b) => a - b)).toEqual(accepted.slice().sort((a, b) => a - b));
      expect(new Set(db.events.map((e) => e.id))).toEqual(new Set(eventIds.values()));
      // The last start sent everything that was left: nothing pending or leased.
      expect(db.deliveries.filter((d) => d.status !== 'succeeded' && d.status !== 'failed')).toEqual([]);
      expect(db.deliveries.filter((d) => d.lease_token !== null)).toEqual([]);
      console.log(
        `[kill-loop] seed ${SEED}: ${ROUNDS} kills survived, ${accepted.length} events accepted (all delivered), ` +
          `${refused.length} refused (none delivered), ${cutByKill} requests cut by a kill and sent again, ` +
          `${receiver.records.length} requests received, lost 0`,
      );
    } finally {
      stopLoad = true;
      for (const dispatcher of started) dispatcher.kill();
      await receiver.close();
    }
  });
});
