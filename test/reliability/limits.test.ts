import { describe, expect, it } from 'vitest';
import { MAX_DATA_DEPTH, nestedDeeperThan, quote } from '../../src/dispatcher/http/validate.js';

/** Nesting `depth` levels deep: `{"a":{"a":…1}}` or `[[…]]`. */
const nest = (depth: number, shape: 'object' | 'array'): unknown =>
  JSON.parse(
    shape === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`,
  );

describe('limits the hostile-input run led to', () => {
  it.each([
    ['a scalar', 1, 0, false],
    ['an empty object', {}, 1, false],
    ['an object in an object, limit 1', { a: {} }, 1, true],
    ['arrays, at the limit', [[]], 2, false],
    ['arrays, past the limit', [[[]]], 2, true],
    ['deep, but only in a later field', { a: 1, b: { c: { d: {} } } }, 3, true],
    [`${MAX_DATA_DEPTH} levels of objects`, nest(MAX_DATA_DEPTH, 'object'), MAX_DATA_DEPTH, false],
    [`${MAX_DATA_DEPTH + 1} levels of objects`, nest(MAX_DATA_DEPTH + 1, 'object'), MAX_DATA_DEPTH, true],
    [`${MAX_DATA_DEPTH + 1} levels of arrays`, nest(MAX_DATA_DEPTH + 1, 'array'), MAX_DATA_DEPTH, true],
    ['200,000 levels (no stack overflow)', nest(200_000, 'array'), MAX_DATA_DEPTH, true],
  ])('nestedDeeperThan: %s', (_name, value, limit, deeper) => {
    expect(nestedDeeperThan(value, limit)).toBe(deeper);
  });

  it.each([
    ['a short string', 'trade.done', '"trade.done"'],
    ['a long string, cut', 'x'.repeat(5000), `"${'x'.repeat(100)}"… (5000 characters)`],
    ['a number', 42, '42'],
    ['null', null, 'null'],
    ['an array', [1], 'an array'],
    ['an object nested beyond any stack', nest(200_000, 'object'), 'an object'],
  ])('quote: %s', (_name, value, shown) => {
    expect(quote(value)).toBe(shown);
  });
});
