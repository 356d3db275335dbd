import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../src/core/events.js';
import {
  generateSecret,
  generateTestHeaders,
  sign,
  signStandard,
  verify,
  type VerifyOptions,
  type VerifyReason,
} from '../../src/core/signature.js';

const GUIDE_SECRET = 'whsec_xyz789';
// The guide's trade.completed example, serialized with JSON.stringify as the dispatcher does.
const GUIDE_BODY = JSON.stringify(EVENT_CATALOG['trade.completed'].sample);
// Computed independently with Python: hmac.new(b'whsec_xyz789', body, hashlib.sha256).hexdigest()
const GUIDE_SIGNATURE = '528b264e4502aa450f86eee7cdf8cbc9c2e25bb57facdb0ea342bdd2dbabfd0d';

const NOW_MS = 1_764_676_800_000; // 2025-12-02T12:00:00Z
const NOW_S = NOW_MS / 1000;
const now = () => NOW_MS;

describe('sign', () => {
  it('matches the hex digest Python computes for the guide example', () => {
    expect(GUIDE_BODY).toBe(
      '{"event":"trade.completed","timestamp":"2025-12-02T12:00:00Z","data":{"tradeId":"tx_123","userId":"user_456","trackId":"track_789","type":"BUY","amount":100,"price":1.5,"totalValue":150,"txHash":"0x..."}}',
    );
    expect(sign(GUIDE_BODY, GUIDE_SECRET)).toBe(GUIDE_SIGNATURE);
  });

  it('signs bytes, so a string and its Buffer give the same signature', () => {
    const body = '{"note":"é ♫ 🎵"}';
    expect(sign(Buffer.from(body), GUIDE_SECRET)).toBe(sign(body, GUIDE_SECRET));
    expect(sign(body, GUIDE_SECRET)).toBe(
      createHmac('sha256', GUIDE_SECRET).update(Buffer.from(body, 'utf8')).digest('hex'),
    );
  });

  it('makes secrets of the form whsec_ + base64 of 24 bytes, all different', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateSecret));
    expect(secrets.size).toBe(50);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    }
  });
});

describe('verify: X-V2K-Signature', () => {
  const tampered = GUIDE_BODY.replace('"amount":100', '"amount":1000');
  const cases: Array<{
    name: string;
    options: Partial<VerifyOptions>;
    ok: boolean;
    reason: VerifyReason;
    message?: RegExp;
  }> = [
    { name: 'the guide secret and body', options: {}, ok: true, reason: 'verified' },
    { name: 'uppercase hex', options: { signature: GUIDE_SIGNATURE.toUpperCase() }, ok: true, reason: 'verified' },
    {
      name: 'a tampered body',
      options: { payload: tampered },
      ok: false,
      reason: 'bad_signature',
      message: /raw request body/,
    },
    {
      name: 'a re-serialized body (json.dumps separators)',
      options: { payload: JSON.stringify(JSON.parse(GUIDE_BODY), null, 1) },
      ok: false,
      reason: 'bad_signature',
    },
    { name: 'the wrong secret', options: { secret: 'whsec_other' }, ok: false, reason: 'bad_signature' },
    {
      name: 'a signature of the wrong length',
      options: { signature: GUIDE_SIGNATURE.slice(0, 62) },
      ok: false,
      reason: 'bad_signature',
      message: /64 hex/,
    },
    {
      name: 'an odd-length signature',
      options: { signature: GUIDE_SIGNATURE.slice(0, 63) },
      ok: false,
      reason: 'bad_signature',
      message: /64 hex/,
    },
    {
      name: 'a non-hex signature',
      options: { signature: `${GUIDE_SIGNATURE.slice(0, 63)}g` },
      ok: false,
      reason: 'bad_signature',
      message: /64 hex/,
    },
    // latin1 keeps only a character's low byte: 'š' (U+0161) would pass for 'a' if not checked as hex first
    {
      name: 'a look-alike non-ASCII character',
      options: { signature: GUIDE_SIGNATURE.replace(/a/, '\u0161') },
      ok: false,
      reason: 'bad_signature',
      message: /hex/,
    },
    { name: 'an empty signature', options: { signature: '' }, ok: false, reason: 'bad_signature', message: /empty/ },
    { name: 'a missing signature', options: { signature: undefined, headers: {} }, ok: false, reason: 'no_signature' },
    { name: 'no secret', options: { secret: undefined }, ok: false, reason: 'no_secret' },
    { name: 'an empty list of secrets', options: { secret: [] }, ok: false, reason: 'no_secret' },
    {
      name: 'rotation: only the second secret matches',
      options: { secret: ['whsec_old', GUIDE_SECRET] },
      ok: true,
      reason: 'verified',
    },
    {
      name: 'rotation: neither secret matches',
      options: { secret: ['whsec_old', 'whsec_older'] },
      ok: false,
      reason: 'bad_signature',
    },
    {
      name: 'a parsed object instead of the raw body',
      options: { payload: JSON.parse(GUIDE_BODY) as never },
      ok: false,
      reason: 'bad_signature',
      message: /raw body/,
    },
    {
      name: 'the header, any case',
      options: { signature: undefined, headers: { 'X-V2K-Signature': GUIDE_SIGNATURE } },
      ok: true,
      reason: 'verified',
    },
    {
      name: 'a duplicated header',
      options: { signature: undefined, headers: { 'x-v2k-signature': [GUIDE_SIGNATURE, GUIDE_SIGNATURE] } },
      ok: false,
      reason: 'bad_signature',
      message: /more than once/,
    },
    {
      name: 'a fetch Headers object',
      options: { signature: undefined, headers: new Headers({ 'X-V2K-Signature': GUIDE_SIGNATURE }) },
      ok: true,
      reason: 'verified',
    },
  ];

  it.each(cases)('$name → $reason', ({ options, ok, reason, message }) => {
    const result = verify({ payload: GUIDE_BODY, secret: GUIDE_SECRET, signature: GUIDE_SIGNATURE, now, ...options });
    expect(result.reason).toBe(reason);
    expect(result.ok).toBe(ok);
    if (message) expect(result.message).toMatch(message);
  });

  it('names the secret that matched during a rotation', () => {
    const result = verify({ payload: GUIDE_BODY, secret: ['whsec_old', GUIDE_SECRET], signature: GUIDE_SIGNATURE });
    expect(result.secretIndex).toBe(1);
    expect(result.schemes).toEqual(['v2k']);
  });

  it('never throws on hostile input', () => {
    const hostile: unknown[] = [null, undefined, 42, {}, [], 'x'.repeat(100_000), '\u0000', '🎵'.repeat(32)];
    expect(verify(undefined as never).ok).toBe(false);
    expect(verify({ payload: GUIDE_BODY, secret: GUIDE_SECRET, headers: { get: () => 42 } as never }).reason).toBe(
      'no_signature',
    );
    for (const value of hostile) {
      expect(() =>
        verify({ payload: value as string, secret: value as string, signature: value as string }),
      ).not.toThrow();
      expect(() => verify({ payload: GUIDE_BODY, secret: GUIDE_SECRET, headers: value as never })).not.toThrow();
      expect(verify({ payload: GUIDE_BODY, secret: GUIDE_SECRET, signature: value as string }).ok).toBe(false);
    }
  });
});

describe('verify: Standard Webhooks', () => {
  const secret = generateSecret();
  const headersAt = (timestamp: number, overrides: Record<string, string> = {}) => ({
    ...generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp, deliveryId: 'dlv_test' }),
    ...overrides,
  });

  const cases: Array<{
    name: string;
    timestamp: number;
    overrides?: Record<string, string>;
    tolerance?: number;
    reason: VerifyReason;
  }> = [
    { name: 'a fresh timestamp', timestamp: NOW_S, reason: 'verified' },
    { name: '299 s old (inside the default 300 s)', timestamp: NOW_S - 299, reason: 'verified' },
    { name: '301 s old', timestamp: NOW_S - 301, reason: 'stale_timestamp' },
    { name: '301 s in the future', timestamp: NOW_S + 301, reason: 'stale_timestamp' },
    { name: '20 s old with a 10 s tolerance', timestamp: NOW_S - 20, tolerance: 10, reason: 'stale_timestamp' },
    {
      name: 'a timestamp that is not a number',
      timestamp: NOW_S,
      overrides: { 'webhook-timestamp': 'yesterday' },
      reason: 'stale_timestamp',
    },
    {
      name: 'a changed webhook-id',
      timestamp: NOW_S,
      overrides: { 'webhook-id': 'dlv_other' },
      reason: 'bad_signature',
    },
    {
      name: 'a v2 scheme only',
      timestamp: NOW_S,
      overrides: { 'webhook-signature': 'v2,abc' },
      reason: 'bad_signature',
    },
    {
      name: 'a good X-V2K-Signature but a bad webhook-signature',
      timestamp: NOW_S,
      overrides: { 'webhook-signature': `v1,${'A'.repeat(43)}=` },
      reason: 'bad_signature',
    },
  ];

  it.each(cases)('$name → $reason', ({ timestamp, overrides, tolerance, reason }) => {
    const result = verify({
      payload: GUIDE_BODY,
      secret,
      headers: headersAt(timestamp, overrides),
      toleranceSeconds: tolerance,
      now,
    });
    expect(result.reason).toBe(reason);
    expect(result.ok).toBe(reason === 'verified');
  });

  it('rejects a webhook-signature with a character whose low byte matches the real one', () => {
    const headers = headersAt(NOW_S);
    const real = headers['webhook-signature'] as string;
    // U+0100 plus the real character: the same byte when written as latin1, a different character.
    const at = 3 + real.slice(3).search(/[A-Za-z]/u); // after `v1,`
    const lookAlike = real.slice(0, at) + String.fromCharCode(0x100 + real.charCodeAt(at)) + real.slice(at + 1);
    const result = verify({
      payload: GUIDE_BODY,
      secret,
      headers: { ...headers, 'webhook-signature': lookAlike },
      now,
    });
    expect(result.reason).toBe('bad_signature');
  });

  it('accepts any of several v1 signatures in the header', () => {
    const headers = headersAt(NOW_S);
    headers['webhook-signature'] = `v1,${'B'.repeat(43)}= ${headers['webhook-signature']}`;
    const result = verify({ payload: GUIDE_BODY, secret, headers, now });
    expect(result).toMatchObject({ ok: true, schemes: ['standard', 'v2k'] });
  });

  it('signs exactly as the standardwebhooks package does', () => {
    const reference = new Webhook(secret);
    const ours = signStandard({ id: 'dlv_test', timestamp: NOW_S, payload: GUIDE_BODY, secret });
    expect(ours).toBe(reference.sign('dlv_test', new Date(NOW_MS), GUIDE_BODY));
  });

  it('produces headers the standardwebhooks package accepts, and accepts its headers', () => {
    const nowS = Math.floor(Date.now() / 1000);
    const reference = new Webhook(secret);
    const ours = generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp: nowS });
    expect(reference.verify(GUIDE_BODY, ours)).toEqual(JSON.parse(GUIDE_BODY));

    const theirs = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(nowS),
      'webhook-signature': reference.sign('msg_1', new Date(nowS * 1000), GUIDE_BODY),
    };
    expect(verify({ payload: GUIDE_BODY, secret, headers: theirs })).toMatchObject({ ok: true, schemes: ['standard'] });
    expect(verify({ payload: `${GUIDE_BODY} `, secret, headers: theirs }).ok).toBe(false);
  });
});

describe('ids', () => {
  it('are unique and sort in the order they were made, even thousands within a millisecond', async () => {
    const { newId } = await import('../../src/core/ids.js');
    const ids = Array.from({ length: 5000 }, () => newId('dlv'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^dlv_[0-9a-f]{24}$/);
  });
});
