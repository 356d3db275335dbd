import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/core/json-line.js';

describe('toJsonLine', () => {
  it.each([
    ['line separator', { note: 'a\u2028b' }, '{"note":"a\\u2028b"}'],
    ['paragraph separator', ['\u2029'], '["\\u2029"]'],
    ['both, several times', 'x\u2028\u2029\u2028', '"x\\u2028\\u2029\\u2028"'],
    ['in a key', { 'k\u2028': 1 }, '{"k\\u2028":1}'],
    ['nothing to escape', { a: [1, 'two'] }, '{"a":[1,"two"]}'],
  ])('%s: one line, the same value once parsed', (_name, value, expected) => {
    const line = toJsonLine(value);
    expect(line).toBe(expected);
    expect(line).not.toMatch(/[\n\u2028\u2029]/);
    expect(JSON.parse(line)).toEqual(value);
  });

  it('escapes them in indented output too', () => {
    const text = toJsonLine({ note: '\u2028' }, 2);
    expect(text).toBe('{\n  "note": "\\u2028"\n}');
  });
});
