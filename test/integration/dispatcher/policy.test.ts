import { describe, expect, it } from 'vitest';
import {
  createFailureStreaks,
  createRateWindow,
  isSuccess,
  leaseDuration,
  retryDelayAfter,
  scaled,
} from '../../../src/dispatcher/policy.js';

describe('delivery policy (pure rules of SPEC §4)', () => {
  it.each([
    [1, 1, 2_000],
    [2, 1, 4_000],
    [3, 1, 8_000],
    [4, 1, undefined],
    [1, 0.01, 20],
    [3, 0.5, 4_000],
    [5, 1, undefined],
  ])('after failed attempt %i at scale %f the next waits %s ms', (attempt, scale, expected) => {
    expect(retryDelayAfter(attempt, scale)).toBe(expected);
  });

  it.each([
    [200, true],
    [204, true],
    [299, true],
    [199, false],
    [301, false],
    [302, false],
    [404, false],
    [500, false],
    [null, false],
  ])('status %s is a success: %s', (status, expected) => {
    expect(isSuccess(status)).toBe(expected);
  });

  it.each([
    [10_000, 1, 10_000],
    [10_000, 0.01, 100],
    [60_000, 0.001, 60],
    [2_000, 0.0001, 0],
  ])('scales %i ms by %f to %i ms', (ms, scale, expected) => {
    expect(scaled(ms, scale)).toBe(expected);
  });

  it('leases for longer than an attempt may take', () => {
    for (const scale of [1, 0.1, 0.01, 0.001]) expect(leaseDuration(scale)).toBeGreaterThan(scaled(10_000, scale));
  });

  it('lets `limit` attempts per webhook into any window and says when room opens', () => {
    const window = createRateWindow(3, 1_000);
    expect([0, 100, 200].map((t) => window.take('wh_a', t))).toEqual([undefined, undefined, undefined]);
    expect(window.take('wh_a', 300)).toBe(1_000); // full: room when the attempt at 0 leaves the window
    expect(window.take('wh_b', 300)).toBeUndefined(); // per webhook
    expect(window.take('wh_a', 999)).toBe(1_000);
    expect(window.take('wh_a', 1_000)).toBeUndefined();
    expect(window.take('wh_a', 1_050)).toBe(1_100);
    expect(window.take('wh_a', 1_100)).toBeUndefined();
  });

  it('says how much room a window has and when a full one opens', () => {
    const window = createRateWindow(2, 1_000);
    expect(window.room('wh_a', 0)).toBe(2);
    window.take('wh_a', 0);
    window.take('wh_a', 400);
    expect(window.room('wh_a', 500)).toBe(0);
    expect(window.opensAt('wh_a', 500)).toBe(1_000);
    expect(window.room('wh_a', 1_000)).toBe(1);
    expect(window.opensAt('wh_a', 1_000)).toBe(1_000);
    expect(createRateWindow(0, 1_000).room('wh_a', 0)).toBe(Infinity);
  });

  it('has no window with a limit of 0, and refills from earlier attempts after a restart', () => {
    const open = createRateWindow(0, 1_000);
    for (let i = 0; i < 1_000; i++) expect(open.take('wh_a', 0)).toBeUndefined();
    const seeded = createRateWindow(2, 1_000);
    seeded.seed('wh_a', [500, 600]);
    expect(seeded.take('wh_a', 700)).toBe(1_500);
    expect(seeded.take('wh_a', 1_500)).toBeUndefined();
  });

  // Attempts of one webhook: [start order index, ok], listed in the order they finish; what each
  // finish decides, in start order (issue 15: "10 consecutive" counts in the order attempts started).
  it.each([
    [
      'in order',
      [
        [0, false],
        [1, true],
        [2, false],
      ],
      [[false], [true], [false]],
    ],
    [
      'a failure that finishes first waits for the success that started before it',
      [
        [1, false],
        [2, false],
        [0, true],
      ],
      [[], [], [true, false, false]],
    ],
    [
      'a cut-short attempt counts for nothing but lets the rest through',
      [
        [1, false],
        [0, undefined],
      ],
      [[], [false]],
    ],
    [
      'out of order in the middle',
      [
        [0, false],
        [2, false],
        [3, true],
        [1, true],
      ],
      [[false], [], [], [true, false, true]],
    ],
  ] as Array<[string, Array<[number, boolean | undefined]>, boolean[][]]>)(
    'decides results in start order: %s',
    (_, finishes, expected) => {
      const streaks = createFailureStreaks();
      const tickets = finishes.map(() => streaks.start('wh_a'));
      const other = streaks.start('wh_b'); // another webhook's order is its own
      expect(finishes.map(([place, ok]) => streaks.finish(tickets[place]!, ok))).toEqual(expected);
      expect(streaks.finish(other, false)).toEqual([false]);
    },
  );
});
