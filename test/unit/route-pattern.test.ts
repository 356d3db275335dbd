import { describe, expect, it } from 'vitest';
import { matchesPattern, PLAIN, renderEvent, routeFor, parseTarget, summarize } from '../../src/listener/index.js';
import type { ListenerEvent } from '../../src/listener/types.js';

/** The reference: a glob compiled to a regular expression (fine on short inputs, exponential on long ones). */
function reference(pattern: string, event: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(event);
}

/** A small deterministic generator, so a failure names a case that can be rerun. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('matchesPattern: linear time (issue 14)', () => {
  const long = `${'a.'.repeat(32 * 1024)}x`; // 64 KB of dots and letters, ending in neither `approved` nor `.`
  const nearMiss = `${'.'.repeat(64 * 1024 - 7)}approve`;
  const hit = `${'a.'.repeat(32 * 1024)}approved`;
  const cases = [
    { pattern: '*.*.*.approved', name: 'a.a.….x', event: long, expected: false },
    { pattern: '*.*.*.approved', name: '….approve', event: nearMiss, expected: false },
    { pattern: '*.*.*.approved', name: 'a.a.….approved', event: hit, expected: true },
    { pattern: '*.*.*.*.*.*.*.*.*.*.*.*.b', name: 'a.a.….x', event: long, expected: false },
    { pattern: '*a*a*a*a*a*a*a*a*a*b*', name: 'a.a.….x', event: long, expected: false },
    { pattern: '*.*.*.*.*.*.*.*.*.*.*.*', name: 'a.a.….x', event: long, expected: true },
    { pattern: 'a.*a.*a.*x', name: 'a.a.….x', event: long, expected: true },
  ];

  // The bound the issue asks for. Generous for a linear scan of 64 KB (well under 1 ms alone), and
  // the fastest of three runs is what counts, so a GC pause or a busy machine does not fail it; the
  // regular expression it replaces took 17.6 s on 5 KB (hours on 64 KB), every run.
  it.each(cases)(
    '$pattern against the 64 KB type $name → $expected, in under 10 ms',
    ({ pattern, event, expected }) => {
      expect(event.length).toBeGreaterThanOrEqual(64 * 1024);
      matchesPattern(pattern, event.slice(0, 100)); // compiled before it is timed
      const { result, ms } = fastestOfThree(() => matchesPattern(pattern, event));
      expect(result).toBe(expected);
      expect(ms).toBeLessThan(10);
    },
  );

  it('routes and counts by a 64 KB type through routeFor as quickly', () => {
    const targets = ['*.*.*.approved=localhost:1/a', 'trade.*=localhost:2/t'].map(parseTarget);
    const { result, ms } = fastestOfThree(() => routeFor(targets, long));
    expect(result).toEqual([]);
    expect(ms).toBeLessThan(10);
  });

  it.each([
    ['user.kyc.*', 'user.kyc.approved', true],
    ['*.approved', 'user.kyc.approved', true],
    ['*kyc*', 'user.kyc.approved', true],
    ['u*r*d', 'user.kyc.approved', true],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['**', '', true],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['trade.*.x', 'trade.x', false],
    ['*.x.*', 'x.x', false],
    ['ab*bc', 'abc', false],
    ['ab*bc', 'abbc', true],
  ])('%j ~ %j → %s', (pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
    expect(reference(pattern, event)).toBe(expected);
  });

  it('agrees with the regular expression on 20,000 random short patterns and types', () => {
    const random = seeded(14);
    const pick = (alphabet: string, max: number) =>
      Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        '',
      );
    for (let i = 0; i < 20_000; i++) {
      const pattern = pick('ab.*', 7);
      const event = pick('ab.', 9);
      if (matchesPattern(pattern, event) !== reference(pattern, event))
        throw new Error(`case ${i}: ${JSON.stringify(pattern)} ~ ${JSON.stringify(event)}`);
    }
  });
});

describe('a 64 KB event type on the terminal', () => {
  const type = `${'a.'.repeat(32 * 1024)}approved`;

  it('is clipped in the event line', () => {
    const event: ListenerEvent = {
      type: 'event',
      receivedAt: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      path: '/',
      event: type,
      eventId: 'evt_1',
      deliveryId: 'dlv_1',
      attempt: 1,
      verdict: { ok: true, reason: 'verified', label: 'verified', message: '', signature: 'verified' },
      summary: summarize(type, { [type]: 1, b: 2 }),
      bytes: 0,
      payload: null,
      forwards: [],
      status: 200,
    };
    const [line] = renderEvent(event, PLAIN);
    expect(line).toContain('a.a.a.');
    expect(line).toContain('…');
    expect(line!.length).toBeLessThan(300);
  });

  it('and so are field names in the summary of an unknown type', () => {
    const summary = summarize(type, { [type]: 1, b: 2 });
    expect(summary.length).toBeLessThan(100);
    expect(summary).toMatch(/^fields: a\.a\..*…, b$/);
  });
});

/** Runs `run` once to warm up, then three times timed: its result, and its fastest time in ms. */
function fastestOfThree<T>(run: () => T): { result: T; ms: number } {
  let result = run();
  let ms = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    result = run();
    ms = Math.min(ms, performance.now() - started);
  }
  return { result, ms };
}
