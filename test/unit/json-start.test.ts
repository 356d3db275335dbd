import { describe, expect, it } from 'vitest';
import { jsonStartError } from '../../src/core/json-start.js';

describe('jsonStartError', () => {
  it.each(['{}', ' \t\r\n[1]', '"text"', '-1', '0', '7', 'true', 'false', 'null'])(
    'lets %j through to JSON.parse',
    (text) => expect(jsonStartError(Buffer.from(text))).toBeUndefined(),
  );

  it.each([
    ['xxxx', { position: 0, char: 'x' }],
    ['  <html>', { position: 2, char: '<' }],
    ['\ufeff{}', { position: 0, char: '\u00ef' }], // a byte-order mark is not JSON whitespace
    ['', { position: 0, char: '' }],
    [' \n ', { position: 3, char: '' }],
  ])('refuses %j without decoding it', (text, expected) => {
    expect(jsonStartError(Buffer.from(text))).toEqual(expected);
  });

  it('agrees with JSON.parse about every first byte', () => {
    for (let byte = 0; byte < 256; byte++) {
      const body = Buffer.from([byte, 0x30]); // the byte, then a digit
      let parses = true;
      try {
        JSON.parse(`${String.fromCharCode(byte)}0`);
      } catch {
        parses = false;
      }
      // Never refuse what JSON.parse would accept; what it refuses may still pass to it.
      if (parses) expect(jsonStartError(body), `byte ${byte}`).toBeUndefined();
    }
  });
});
