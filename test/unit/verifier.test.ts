import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../src/core/events.js';
import {
  createVerifier,
  generateSecret,
  generateTestHeaders,
  signatureHeaderOf,
  standardSignatures,
  verify,
} from '../../src/core/signature.js';

const BODY = JSON.stringify(EVENT_CATALOG['trade.completed'].sample);
const NOW_MS = 1_764_676_800_000;
const NOW_S = NOW_MS / 1000;
const now = () => NOW_MS;

describe('createVerifier: a verifier bound to its secrets', () => {
  const [old, current] = [generateSecret(), generateSecret()];
  const headers = generateTestHeaders({ payload: BODY, secret: current, timestamp: NOW_S });

  it('gives the verdicts verify() gives, for each scheme and during a rotation', () => {
    const verifier = createVerifier({ secrets: [old, current], now });
    expect(verifier.secretCount).toBe(2);
    const cases = [
      headers,
      { 'x-v2k-signature': headers['x-v2k-signature'] },
      { ...headers, 'x-v2k-signature': undefined },
      { ...headers, 'webhook-timestamp': String(NOW_S - 400) },
      { ...headers, 'x-v2k-signature': 'f'.repeat(64) },
      {},
    ];
    for (const h of cases) {
      expect(verifier.verify({ payload: BODY, headers: h })).toEqual(
        verify({ payload: BODY, secret: [old, current], headers: h, now }),
      );
    }
    expect(verifier.verify({ payload: BODY, headers })).toMatchObject({ ok: true, secretIndex: 1 });
  });

  it('with no secret, answers no_secret', () => {
    expect(createVerifier().verify({ payload: BODY, headers })).toMatchObject({ ok: false, reason: 'no_secret' });
  });

  it.each(['', 'whsec_', 'whsec_!!!!'])('throws SecretError (exit 2) for %j, alone or in a rotation', (secret) => {
    for (const secrets of [secret, [current, secret]]) {
      expect(() => createVerifier({ secrets })).toThrow(
        expect.objectContaining({ name: 'SecretError', code: 'invalid_secret', exitCode: 2 }),
      );
    }
  });

  it.each([null, 0, -5, Number.NaN, Number.POSITIVE_INFINITY])('throws invalid_tolerance for %j', (tolerance) => {
    expect(() => createVerifier({ secrets: current, toleranceSeconds: tolerance as number })).toThrow(
      expect.objectContaining({ code: 'invalid_tolerance', exitCode: 2 }),
    );
  });

  it('never throws on hostile requests', () => {
    const verifier = createVerifier({ secrets: current, now });
    for (const value of [null, undefined, 42, 'x', {}]) {
      expect(() => verifier.verify(value as never)).not.toThrow();
      expect(verifier.verify({ payload: value as never, headers: value as never }).ok).toBe(false);
    }
  });
});

describe('reading a signature value', () => {
  const v1 = `v1,${Buffer.alloc(32, 3).toString('base64')}`;

  it.each([
    [v1, [v1.slice(3)]],
    [` ${v1} `, [v1.slice(3)]],
    [`v1a,${'A'.repeat(86)}== v2,abc ${v1}`, [v1.slice(3)]],
    [`${v1} ${v1.replace('v1,', 'v1,x')}`, [v1.slice(3)]],
    ['v1,', []],
    ['', []],
  ])('standardSignatures(%j) → %j', (header, expected) => {
    expect(standardSignatures(header)).toEqual(expected);
  });

  it.each([
    ['a'.repeat(64), 'x-v2k-signature'],
    [` ${'A'.repeat(64)}\n`, 'x-v2k-signature'],
    ['abc', 'x-v2k-signature'],
    [v1, 'webhook-signature'],
    [` ${v1}`, 'webhook-signature'],
    [`v1a,xyz ${v1}`, 'webhook-signature'],
    [`v2,xyz ${v1}`, 'webhook-signature'],
    ['v1a,xyz', 'webhook-signature'],
  ])('signatureHeaderOf(%j) → %s', (value, header) => {
    expect(signatureHeaderOf(value)).toBe(header);
  });
});
