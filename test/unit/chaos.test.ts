import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/core/errors.js';
import { createChaos, seededRandom, type Chaos, type ChaosDelivery } from '../../src/dispatcher/chaos.js';
import { formatChaos, parseChaos, resolveChaos, type ChaosSettings } from '../../src/dispatcher/chaos-spec.js';
import { CHAOS_MAX_DELAY_MS, REORDER_HOLD_MS } from '../../src/dispatcher/policy.js';

// Chaos delivery (issue 18): the spec the CLI and createDispatcher take, and the engine's seeded decisions.

describe('the chaos spec', () => {
  it.each([
    ['duplicate=0.1,reorder=0.2,delay=0-2s', { duplicate: 0.1, reorder: 0.2, delay: { minMs: 0, maxMs: 2000 } }],
    ['reorder=20%', { reorder: 0.2 }],
    ['delay=2s', { delay: { minMs: 0, maxMs: 2000 } }],
    ['delay=500ms-1.5s', { delay: { minMs: 500, maxMs: 1500 } }],
    ['delay=0ms-10s', { delay: { minMs: 0, maxMs: CHAOS_MAX_DELAY_MS } }],
    [' duplicate = 1 , seed=42, ', { duplicate: 1, seed: 42 }],
    ['Duplicate=.5', { duplicate: 0.5 }],
  ])('%s', (spec, options) => {
    expect(parseChaos(spec)).toEqual(options);
  });

  it.each([
    ['', /empty/],
    ['dupliate=0.1', /Unknown chaos "dupliate"\. Did you mean "duplicate"\?.*duplicate=, reorder=, delay=, seed=/],
    ['late=1s', /Unknown chaos "late"\. The spec takes/],
    ['duplicate=1.5', /probability from 0 to 1 .*"1\.5"/],
    ['duplicate=-0.1', /probability from 0 to 1/],
    ['reorder=120%', /probability from 0 to 1 .*"120%"/],
    ['reorder=often', /probability/],
    ['reorder', /reorder= needs a value/],
    ['duplicate=0.1,duplicate=0.2', /twice/],
    ['delay=0-2x', /delay= takes durations from 1ms to 10s, such as 0-2s or 500ms-1s, got "2x"/],
    ['delay=1-2-3s', /MIN-MAX or MAX/],
    ['delay=-2s', /MIN-MAX or MAX/],
    ['delay=3s-1s', /MIN above MAX/],
    ['delay=0-11s', /longer than the 10s attempt timeout.*at most 10s/],
    ['delay=1h', /longer than the 10s attempt timeout/],
    ['seed=-1', /seed= takes a whole number from 0 to 4294967295/],
    ['seed=4294967296', /seed= takes a whole number/],
    ['seed=1.5', /seed= takes a whole number/],
  ])('refuses %j with a message saying what it takes', (spec, message) => {
    let caught: unknown;
    try {
      parseChaos(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as UsageError).message).toMatch(message);
  });

  it.each([
    [{ duplicate: 2 }, /duplicate must be a probability from 0 to 1, got 2/],
    [{ reorder: Number.NaN }, /reorder must be a probability/],
    [{ delay: { minMs: 5, maxMs: 1 } }, /0 ≤ minMs ≤ maxMs/],
    [{ delay: { minMs: 0, maxMs: 0.5 } }, /each 0 or at least 1 ms/],
    [{ delay: { minMs: 0, maxMs: 60_000 } }, /longer than the 10s attempt timeout/],
    [{ delay: '0-2x' }, /delay= takes durations from 1ms to 10s/],
    [{ delay: '600h' }, /delay= takes durations from 1ms to 10s, such as 0-2s or 500ms-1s, got "600h"/],
    [{ duplicate: 0.1, delay: 2000 }, /chaos delay must be a spec such as '0-2s' or \{ minMs, maxMs \}.*got 2000/],
    [{ duplicate: 0.1, delay: true }, /chaos delay must be a spec.*got true/],
    [{ duplicate: 0.1, delay: null }, /chaos delay must be a spec.*got null/],
    [{ duplicate: 0.1, delay: { min: 0, max: 2000 } }, /it has no "min"/],
    [{ delay: { maxMs: Number.POSITIVE_INFINITY } }, /each 0 or at least 1 ms, got 0 to Infinity/],
    [{ delay: { maxMs: 3e9 } }, /A chaos delay of 3000000000ms is longer than the 10s attempt timeout/],
    [{ dupicate: 0.1 }, /Unknown chaos option "dupicate"\. Did you mean "duplicate"\?/],
    [{ duplicate: 0.1, seed: 1.5 }, /seed must be a whole number/],
    [{ duplicate: 0, reorder: 0 }, /asks for nothing/],
    ['duplicate=0,delay=0', /asks for nothing/],
  ])('createDispatcher({ chaos: %j }) is refused the same way', (input, message) => {
    expect(() => resolveChaos(input as never)).toThrow(message);
  });

  it('draws a seed when none is given, and prints a spec that replays the run exactly', () => {
    const drawn = resolveChaos('duplicate=0.1,reorder=0.2,delay=0-2s');
    expect(Number.isInteger(drawn.seed)).toBe(true);
    expect(formatChaos(drawn)).toBe(`duplicate=0.1,reorder=0.2,delay=0-2s,seed=${drawn.seed}`);
    for (const settings of [
      drawn,
      { duplicate: 0, reorder: 1, delayMinMs: 0, delayMaxMs: 0, seed: 0 },
      { duplicate: 0.05, reorder: 0, delayMinMs: 1234, delayMaxMs: 1500, seed: 4294967295 },
      { duplicate: 0, reorder: 0, delayMinMs: 1.5, delayMaxMs: 2.25, seed: 7 },
      { duplicate: 1e-7, reorder: 2.5e-8, delayMinMs: 0, delayMaxMs: 0, seed: 3 },
    ] satisfies ChaosSettings[]) {
      expect(resolveChaos(formatChaos(settings))).toEqual(settings);
    }
    expect(formatChaos(resolveChaos({ delay: { minMs: 1234, maxMs: 1500 }, seed: 1 }))).toBe(
      'delay=1234ms-1.5s,seed=1',
    );
  });
});

const settings = (over: Partial<ChaosSettings>): ChaosSettings => ({
  duplicate: 0,
  reorder: 0,
  delayMinMs: 0,
  delayMaxMs: 0,
  seed: 1,
  ...over,
});
const delivery = (n: number, attempt = 1, webhook = 'wh_a') => ({
  id: `dlv_${String(n).padStart(24, '0')}`,
  webhook_id: webhook,
  attempt_count: attempt - 1,
});

/** Lets an attempt start as the queue does (hold, then go once due), and asks what the worker asks. */
function startDuplicated(chaos: Chaos, d: ChaosDelivery): boolean {
  const until = chaos.hold(d, 1_000);
  if (until !== undefined) chaos.hold(d, until);
  chaos.go(d);
  return chaos.duplicate(d);
}

describe('the chaos engine, seeded', () => {
  it('draws the duplicate when it first sees an attempt: the answers coming back in another order change nothing', () => {
    const decide = (order: number[]) => {
      const chaos = createChaos(settings({ duplicate: 0.5, seed: 9 }), 1);
      for (let i = 0; i < 40; i++) chaos.hold(delivery(i), 1_000); // claimed in order
      const decided = new Map<number, boolean>();
      for (const i of order) {
        chaos.go(delivery(i));
        decided.set(i, chaos.duplicate(delivery(i)));
      }
      return [...decided].sort(([a], [b]) => a - b);
    };
    const inOrder = decide(Array.from({ length: 40 }, (_, i) => i));
    expect(decide(Array.from({ length: 40 }, (_, i) => 39 - i))).toEqual(inOrder);
    expect(inOrder.some(([, yes]) => yes)).toBe(true);
    expect(inOrder.some(([, yes]) => !yes)).toBe(true);
  });

  it('answers duplicate() only for the attempt go() just let start', () => {
    const chaos = createChaos(settings({ duplicate: 1 }), 1);
    chaos.hold(delivery(1), 1_000);
    chaos.go(delivery(1));
    expect(chaos.duplicate(delivery(2))).toBe(false);
    chaos.hold(delivery(3), 1_000);
    chaos.go(delivery(3));
    expect(chaos.duplicate(delivery(3))).toBe(true);
    expect(chaos.duplicate(delivery(3))).toBe(false); // asked once per start
  });

  it('makes the same decisions for the same seed and sequence of attempts, and others for another seed', () => {
    const run = (seed: number) => {
      const chaos = createChaos(settings({ duplicate: 0.3, reorder: 0.3, delayMinMs: 0, delayMaxMs: 2000, seed }), 1);
      return Array.from({ length: 50 }, (_, i) => [
        chaos.hold(delivery(i), 1_000),
        startDuplicated(chaos, delivery(i)),
      ]);
    };
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
    expect(seededRandom(5)()).toBe(seededRandom(5)());
  });

  it('duplicates about the share it is given, never at 0, always at 1', () => {
    const share = (p: number) => {
      const chaos = createChaos(settings({ duplicate: p }), 1);
      return Array.from({ length: 4000 }, (_, i) => startDuplicated(chaos, delivery(i))).filter(Boolean).length / 4000;
    };
    expect(share(0.25)).toBeGreaterThan(0.2);
    expect(share(0.25)).toBeLessThan(0.3);
    const never = createChaos(settings({ reorder: 1 }), 1);
    expect(Array.from({ length: 100 }, (_, i) => startDuplicated(never, delivery(i)))).not.toContain(true);
    expect(share(1)).toBe(1);
  });

  it('delays every attempt within the range, scaled by the time scale, and marks it when it starts', () => {
    const chaos = createChaos(settings({ delayMinMs: 500, delayMaxMs: 2000 }), 0.01);
    const at = 10_000;
    for (let i = 0; i < 200; i++) {
      const until = chaos.hold(delivery(i, 1 + (i % 4)), at) as number;
      expect(until - at).toBeGreaterThanOrEqual(5);
      expect(until - at).toBeLessThanOrEqual(20);
      expect(chaos.hold(delivery(i, 1 + (i % 4)), until - 1)).toBe(until); // asked early: still held
      expect(chaos.hold(delivery(i, 1 + (i % 4)), until)).toBeUndefined();
      expect(chaos.go(delivery(i, 1 + (i % 4)))).toBe(`delayed ${until - at}ms`);
    }
    // Untouched attempts carry no mark.
    expect(createChaos(settings({ duplicate: 1 }), 1).go(delivery(1))).toBeUndefined();
  });

  it('holds a first attempt back until a later delivery of its webhook has ended, and says after which', () => {
    const chaos = createChaos(settings({ reorder: 1 }), 1);
    const held = delivery(1);
    const until = chaos.hold(held, 1_000);
    expect(until).toBe(1_000 + REORDER_HOLD_MS);
    // Retries are never reordered, nor is a delivery held twice for one attempt.
    expect(chaos.hold(delivery(0, 2), 1_000)).toBeUndefined();
    // An earlier delivery, or one of another webhook, ending does not release it.
    expect(chaos.ended('wh_a', delivery(0).id, 1_100)).toEqual([]);
    expect(chaos.ended('wh_b', delivery(2, 1, 'wh_b').id, 1_100)).toEqual([]);
    // A later one does.
    expect(chaos.ended('wh_a', delivery(2).id, 1_200)).toEqual([{ id: held.id, at: 1_200 }]);
    expect(chaos.ended('wh_a', delivery(3).id, 1_300)).toEqual([]); // released once
    expect(chaos.hold(held, 1_200)).toBeUndefined();
    expect(chaos.go(held)).toBe(`reordered after ${delivery(2).id}`);
  });

  it('lets a held delivery go when no later one comes, and says so', () => {
    const chaos = createChaos(settings({ reorder: 1 }), 0.1);
    const held = delivery(1);
    const until = chaos.hold(held, 0) as number;
    expect(until).toBe(REORDER_HOLD_MS * 0.1);
    expect(chaos.hold(held, until)).toBeUndefined();
    expect(chaos.go(held)).toBe('held back 500ms, no later delivery came');
  });

  it('keeps a reordered delivery to its drawn delay too', () => {
    const chaos = createChaos(settings({ reorder: 1, delayMinMs: 3000, delayMaxMs: 3000 }), 1);
    const held = delivery(1);
    expect(chaos.hold(held, 0)).toBe(REORDER_HOLD_MS);
    expect(chaos.ended('wh_a', delivery(2).id, 1_000)).toEqual([{ id: held.id, at: 3_000 }]);
    expect(chaos.hold(held, 1_000)).toBe(3_000);
    expect(chaos.hold(held, 3_000)).toBeUndefined();
    expect(chaos.go(held)).toBe(`reordered after ${delivery(2).id}, delayed 3s`);
  });
});
