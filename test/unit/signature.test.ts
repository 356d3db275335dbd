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

  it('says how stale a timestamp is in the one duration format (issue 17)', () => {
    const result = verify({ payload: GUIDE_BODY, secret, headers: headersAt(NOW_S - 600), now });
    expect(result.message).toMatch(/^webhook-timestamp is 10m away from now \(tolerance 5m\)\./);
    const short = verify({ payload: GUIDE_BODY, secret, headers: headersAt(NOW_S - 20), toleranceSeconds: 1.5, now });
    expect(short.message).toMatch(/is 20s away from now \(tolerance 1\.5s\)/);
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

/** What someone who knows nothing secret can compute: HMACs keyed with what a weak secret gives. */
function forged(secret: string, body: string, id: string, timestamp: number) {
  const standardKey = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return {
    'x-v2k-signature': createHmac('sha256', secret).update(body).digest('hex'),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${createHmac('sha256', standardKey).update(`${id}.${timestamp}.${body}`).digest('base64')}`,
  };
}

describe('secrets anyone could sign with are refused (issue 14)', () => {
  // The peers' own vectors: standardwebhooks refuses "" and "whsec_" ("Secret can't be empty") and
  // "whsec_!!!!" ("incorrect characters"). "whsec_x" decodes to no bytes too.
  const weak: Array<[string, RegExp]> = [
    ['', /is empty/],
    ['whsec_', /only the prefix whsec_/],
    ['whsec_!!!!', /"!" at character 7, which is not base64/],
    ['whsec_x', /decodes to no key bytes/],
    ['whsec_abc def', /a space or line break at character 10/],
    ['whsec_abcd\n', /a space or line break/],
    ['whsec_ab=c', /"=" at character 9/],
  ];

  it.each(weak)(
    'verify() with %j: invalid_secret, never verified, even for headers forged with its key',
    (secret, message) => {
      const headers = forged(secret, GUIDE_BODY, 'evt_1', NOW_S);
      for (const h of [
        headers,
        { 'x-v2k-signature': headers['x-v2k-signature'] },
        { ...headers, 'x-v2k-signature': undefined },
      ]) {
        const result = verify({ payload: GUIDE_BODY, secret, headers: h, now });
        expect(result).toMatchObject({ ok: false, reason: 'invalid_secret', schemes: [] });
        expect(result.message).toMatch(message);
      }
    },
  );

  it.each(weak)('sign(), signStandard() and generateTestHeaders() throw SecretError for %j', (secret, message) => {
    expect(() => sign(GUIDE_BODY, secret)).toThrow(message);
    expect(() => signStandard({ id: 'evt_1', timestamp: NOW_S, payload: GUIDE_BODY, secret })).toThrow(message);
    expect(() => generateTestHeaders({ payload: GUIDE_BODY, secret })).toThrow(message);
    try {
      sign(GUIDE_BODY, secret);
    } catch (error) {
      expect(error).toMatchObject({ name: 'SecretError', code: 'invalid_secret', exitCode: 2 });
    }
  });

  it('never puts the secret itself in the message', () => {
    const secret = `whsec_${'Q'.repeat(20)}!${'R'.repeat(11)}`;
    const result = verify({ payload: GUIDE_BODY, secret, signature: GUIDE_SIGNATURE });
    expect(result.reason).toBe('invalid_secret');
    expect(result.message).not.toContain('QQQQ');
  });

  it('refuses a whole rotation list with one bad secret in it, naming which (#2 of 2)', () => {
    const good = generateSecret();
    const headers = generateTestHeaders({ payload: GUIDE_BODY, secret: good, timestamp: NOW_S });
    for (const bad of ['', 'whsec_', 'whsec_!!!!']) {
      const result = verify({ payload: GUIDE_BODY, secret: [good, bad], headers, now });
      expect(result).toMatchObject({ ok: false, reason: 'invalid_secret' });
      expect(result.message).toMatch(/^Secret #2 of 2 /);
    }
    expect(verify({ payload: GUIDE_BODY, secret: [good, generateSecret()], headers, now }).ok).toBe(true);
  });

  it('keeps accepting what generateSecret makes, and the guide secret (4 key bytes)', () => {
    for (let i = 0; i < 20; i++) {
      const secret = generateSecret();
      const headers = generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp: NOW_S });
      expect(verify({ payload: GUIDE_BODY, secret, headers, now })).toMatchObject({
        ok: true,
        schemes: ['standard', 'v2k'],
      });
    }
    expect(verify({ payload: GUIDE_BODY, secret: GUIDE_SECRET, signature: GUIDE_SIGNATURE }).ok).toBe(true);
  });

  it('verify() keeps each call to its own secret when the secret changes between calls', () => {
    const [a, b] = [generateSecret(), generateSecret()];
    const signedA = generateTestHeaders({ payload: GUIDE_BODY, secret: a, timestamp: NOW_S });
    const list = [a];
    expect(verify({ payload: GUIDE_BODY, secret: list, headers: signedA, now }).ok).toBe(true);
    list[0] = b; // the same array, changed in place
    expect(verify({ payload: GUIDE_BODY, secret: list, headers: signedA, now }).reason).toBe('bad_signature');
    expect(verify({ payload: GUIDE_BODY, secret: b, headers: signedA, now }).reason).toBe('bad_signature');
    expect(verify({ payload: GUIDE_BODY, secret: a, headers: signedA, now }).ok).toBe(true);
    expect(verify({ payload: GUIDE_BODY, secret: 'whsec_', headers: signedA, now }).reason).toBe('invalid_secret');
  });
});

describe('toleranceSeconds must be a number of seconds above 0 (issue 14)', () => {
  const secret = generateSecret();
  const headers = generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp: NOW_S - 10 });
  const v2kOnly = { 'x-v2k-signature': headers['x-v2k-signature'] };

  it.each([null, Number.NaN, 0, -1, -300, Number.POSITIVE_INFINITY, '300', {}])(
    '%j gives invalid_tolerance, not a silent default — with or without Standard Webhooks headers',
    (tolerance) => {
      for (const h of [headers, v2kOnly]) {
        const result = verify({ payload: GUIDE_BODY, secret, headers: h, now, toleranceSeconds: tolerance as number });
        expect(result).toMatchObject({ ok: false, reason: 'invalid_tolerance' });
        expect(result.message).toMatch(/toleranceSeconds must be a number of seconds above 0/);
      }
    },
  );

  it.each([
    [undefined, true],
    [300, true],
    [11, true],
    [0.5, false],
  ])('%j → verified %s (the delivery is 10 s old)', (tolerance, ok) => {
    const result = verify({ payload: GUIDE_BODY, secret, headers, now, toleranceSeconds: tolerance });
    expect(result.ok).toBe(ok);
    if (!ok) expect(result.reason).toBe('stale_timestamp');
  });
});

describe('webhook-signature lists, read as Standard Webhooks does', () => {
  const secret = generateSecret();
  const headers = generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp: NOW_S });
  const valid = headers['webhook-signature'] as string;
  const ed25519 = `v1a,${Buffer.alloc(64, 7).toString('base64')}`;
  const other = `v1,${Buffer.alloc(32, 9).toString('base64')}`;

  it.each([
    ['v1a (asymmetric) first', `${ed25519} ${valid}`, true],
    ['v2 first', `v2,${Buffer.alloc(32, 1).toString('base64')} ${valid}`, true],
    ['a leading space', ` ${valid}`, true],
    ['a trailing space and newline', `${valid} \n`, true],
    ['two spaces between entries', `${other}  ${valid}`, true],
    ['a wrong v1 before the right one', `${other} ${valid}`, true],
    ['only a v1a entry', ed25519, false],
    ['only a wrong v1 entry', other, false],
    ['entries joined by a comma', `${other},${valid}`, false],
  ])('%s → %s', (_name, signature, ok) => {
    const result = verify({
      payload: GUIDE_BODY,
      secret,
      headers: { ...headers, 'webhook-signature': signature },
      now,
    });
    expect(result.ok).toBe(ok);
    if (!ok) expect(result.reason).toBe('bad_signature');
  });

  it('agrees with the standardwebhooks package on each of those lists', () => {
    const reference = new Webhook(secret);
    const nowS = Math.floor(Date.now() / 1000);
    const fresh = generateTestHeaders({ payload: GUIDE_BODY, secret, timestamp: nowS });
    const sig = fresh['webhook-signature'] as string;
    for (const list of [`${ed25519} ${sig}`, ` ${sig}`, `${other} ${sig}`]) {
      const h = { ...fresh, 'webhook-signature': list };
      expect(() => reference.verify(GUIDE_BODY, h)).not.toThrow();
      expect(verify({ payload: GUIDE_BODY, secret, headers: h }).ok).toBe(true);
    }
  });
});

describe('webhook-id is the event id (SPEC §2, issue 14)', () => {
  it('generateTestHeaders sends the event id as webhook-id and signs over it', () => {
    const secret = generateSecret();
    const headers = generateTestHeaders({
      payload: GUIDE_BODY,
      secret,
      eventId: 'evt_same',
      deliveryId: 'dlv_one',
      timestamp: NOW_S,
    });
    expect(headers['webhook-id']).toBe('evt_same');
    expect(headers['x-v2k-event-id']).toBe('evt_same');
    expect(headers['x-v2k-delivery']).toBe('dlv_one');
    const again = generateTestHeaders({
      payload: GUIDE_BODY,
      secret,
      eventId: 'evt_same',
      deliveryId: 'dlv_two',
      timestamp: NOW_S,
    });
    expect(again['webhook-signature']).toBe(headers['webhook-signature']);
    expect(verify({ payload: GUIDE_BODY, secret, headers: again, now }).ok).toBe(true);
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
