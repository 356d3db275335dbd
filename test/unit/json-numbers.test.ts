import { describe, expect, it } from 'vitest';
import { findInexactNumber } from '../../src/dispatcher/http/json-numbers.js';

describe('numbers JSON.parse would alter (SPEC §3, issue 16)', () => {
  it.each([
    ['an integer beyond 2^53', '{"data":{"amount":12345678901234567890}}', 'data.amount', '12345678901234567000'],
    ['2^53 + 1', '{"data":{"n":9007199254740993}}', 'data.n', '9007199254740992'],
    ['an overflow', '{"data":{"extra":{"x":1e400}}}', 'data.extra.x', 'null'],
    ['a negative overflow', '{"data":{"x":-2e308}}', 'data.x', 'null'],
    ['an underflow to 0', '{"data":{"tiny":1e-400}}', 'data.tiny', '0'],
    ['more digits than a double keeps', '{"data":{"pi":3.14159265358979323846}}', 'data.pi', '3.141592653589793'],
    ['in an array', '{"data":{"items":[1,2,{"p":99999999999999999999}]}}', 'data.items[2].p', '100000000000000000000'],
    [
      'after strings with quotes, digits and escapes',
      '{"a":"1e400 \\" 12345678901234567890","b\\\\":[1e999]}',
      '["b\\\\"][0]',
      'null',
    ],
    ['under an odd key', '{"data":{"a b":1e-999}}', 'data["a b"]', '0'],
    ['a bare number', '123456789012345678901', '(the body)', '123456789012345680000'],
  ])('refuses %s', (_name, text, path, becomes) => {
    expect(findInexactNumber(text)).toMatchObject({ path, becomes });
  });

  it.each([
    ['ordinary numbers', '{"data":{"price":1.5,"qty":100,"neg":-42,"zero":0}}'],
    ['2^53 itself', '{"n":9007199254740992}'],
    ['the largest and smallest doubles', '{"a":1.7976931348623157e308,"b":5e-324,"c":2.2250738585072014e-308}'],
    ['the same value written otherwise', '{"a":1.50,"b":1e2,"c":1E+2,"d":-0,"e":0.0,"f":100e-2,"g":0.1}'],
    ['17 significant digits that are the shortest form', '{"a":0.30000000000000004,"b":1.2345678901234567}'],
    ['long digit strings inside strings', '{"id":"12345678901234567890","s":"1e400"}'],
    ['no numbers', '{"a":[true,false,null,"x"]}'],
  ])('accepts %s', (_name, text) => {
    expect(findInexactNumber(text)).toBeUndefined();
  });
});
