import { describe, expect, it } from 'vitest';
import { judge, SLOW_ANSWER_MS } from '../../src/checker/judge.js';
import { judgeRedirects, judgeSizes } from '../../src/checker/overall.js';
import { buildBattery, STALE_AGE_SECONDS, tamper, type Probe, type ProbeKind } from '../../src/checker/probes.js';
import type { Answer } from '../../src/checker/send.js';
import { writeVariant } from '../../src/checker/variant.js';
import { EVENT_CATALOG, EVENT_TYPES, type DeliverableEvent } from '../../src/core/events.js';
import { DEFAULT_TOLERANCE_SECONDS, HEADER, verify } from '../../src/core/signature.js';
import { ATTEMPT_TIMEOUT_MS } from '../../src/dispatcher/policy.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NOW = 1_764_676_800; // 2025-12-02T12:00:00Z
const battery = buildBattery({ secret: SECRET, events: EVENT_TYPES, now: new Date(NOW * 1000) });
const byKind = (kind: ProbeKind) => battery.find((p) => p.kind === kind) as Probe;
const requestOf = (kind: ProbeKind, i = 0) =>
  (byKind(kind).requests[i] as (t: number) => { headers: Record<string, string>; body: string })(NOW);
const verdict = (kind: ProbeKind, i = 0) => {
  const { headers, body } = requestOf(kind, i);
  return verify({ payload: body, headers, secret: SECRET, now: () => NOW * 1000 });
};

describe('the bytes another serializer writes', () => {
  it.each(Object.keys(EVENT_CATALOG) as DeliverableEvent[])('%s: the same value, other bytes', (type) => {
    const value = { event: type, timestamp: '2025-12-02T12:00:00.000Z', data: EVENT_CATALOG[type].sample.data };
    const variant = writeVariant(value);
    expect(JSON.parse(variant)).toEqual(value);
    // What a receiver verifying JSON.stringify(req.body) computes: other bytes, so another HMAC.
    expect(JSON.stringify(JSON.parse(variant))).not.toBe(variant);
    if (type !== 'test') expect(variant).toContain('\\u005f'); // user_456, tx_123…
  });

  it('writes 1.5 as 1.50, puts timestamp first, escapes / and keeps integers', () => {
    const variant = writeVariant({
      event: 'x',
      timestamp: 't',
      data: { price: 1.5, amount: 100, big: 1e21, url: 'a/b' },
    });
    expect(variant).toMatch(/^\{\n {2}"timestamp": "t",\n {2}"event": "x",/);
    expect(variant).toContain('"price": 1.50');
    expect(variant).toContain('"amount": 100,');
    expect(variant).toContain('"big": 1e+21');
    expect(variant).toContain('"url": "a\\/b"');
  });
});

describe('the battery', () => {
  it('sends at most a few dozen requests: 14 for all seven event types', () => {
    expect(battery.reduce((n, p) => n + p.requests.length, 0)).toBe(14);
    expect(battery.map((p) => p.id)).toEqual([
      ...EVENT_TYPES.map((e) => `delivery:${e}`),
      'forged-signature',
      'tampered-body',
      'missing-signature',
      'stale-timestamp',
      'raw-body',
      'duplicate',
    ]);
  });

  it('signs valid deliveries with both schemes, webhook-id being the event id (SPEC §2)', () => {
    for (const probe of battery.filter((p) => p.kind === 'delivery')) {
      const { headers, body } = (probe.requests[0] as (t: number) => { headers: Record<string, string>; body: string })(
        NOW,
      );
      expect(verify({ payload: body, headers, secret: SECRET, now: () => NOW * 1000 })).toMatchObject({
        ok: true,
        schemes: ['standard', 'v2k'],
      });
      expect(headers[HEADER.webhookId]).toBe(headers[HEADER.eventId]);
      expect(headers[HEADER.event]).toBe(probe.event);
      expect(JSON.parse(body)).toMatchObject({ event: probe.event, data: EVENT_CATALOG[probe.event].sample.data });
    }
  });

  it.each([
    ['forged', 'bad_signature'],
    ['tampered', 'bad_signature'],
    ['unsigned', 'no_signature'],
    ['stale', 'stale_timestamp'],
    ['reserialized', 'verified'],
  ] as const)('%s: verify() says %s', (kind, reason) => {
    expect(verdict(kind).reason).toBe(reason);
  });

  it('signs the stale delivery correctly, only its timestamp is old', () => {
    const { headers, body } = requestOf('stale');
    expect(Number(headers[HEADER.webhookTimestamp])).toBe(NOW - STALE_AGE_SECONDS);
    expect(STALE_AGE_SECONDS).toBeGreaterThan(DEFAULT_TOLERANCE_SECONDS);
    const old = () => (NOW - STALE_AGE_SECONDS) * 1000;
    expect(verify({ payload: body, headers, secret: SECRET, now: old }).ok).toBe(true);
  });

  it('sends the duplicate twice with the same ids and body', () => {
    const [a, b] = [requestOf('duplicate', 0), requestOf('duplicate', 1)];
    for (const name of [HEADER.webhookId, HEADER.eventId, HEADER.delivery])
      expect(b.headers[name]).toBe(a.headers[name]);
    expect(b.body).toBe(a.body);
    expect([a.headers[HEADER.attempt], b.headers[HEADER.attempt]]).toEqual(['1', '2']);
  });

  it('uses fresh ids for every other probe, so a receiver deduplicating first cannot skew them', () => {
    const ids = battery
      .filter((p) => p.kind !== 'duplicate')
      .map((p) => (p.requests[0] as (t: number) => { headers: Record<string, string> })(NOW).headers[HEADER.webhookId]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('tampers with a value, not the shape', () => {
    const body = JSON.stringify(EVENT_CATALOG['user.kyc.approved'].sample);
    expect(JSON.parse(tamper(body))).toMatchObject({ data: { userId: 'user_456_attacker' } });
    expect(JSON.parse(tamper(JSON.stringify(EVENT_CATALOG['trade.completed'].sample)))).toMatchObject({
      data: { amount: 10_001 },
    });
  });
});

const answer = (status: number | null, extra: Partial<Answer> = {}): Answer => ({
  status,
  ms: 5,
  bytes: 2,
  overCap: false,
  head: '',
  location: status !== null && status >= 300 && status < 400 ? 'https://elsewhere.example/' : null,
  error: null,
  failure: null,
  ...extra,
});
const timeout = answer(null, { failure: 'timeout', error: 'no complete answer within 10s', ms: ATTEMPT_TIMEOUT_MS });
const reset = answer(null, { failure: 'reset', error: 'connection reset' });
const ctx = { baseline: answer(200), slowMs: SLOW_ANSWER_MS, timeoutMs: ATTEMPT_TIMEOUT_MS };

describe('the verdicts', () => {
  it.each([
    ['delivery', [answer(200)], 'pass', /at once/],
    ['delivery', [answer(204, { ms: SLOW_ANSWER_MS + 1 })], 'warn', /took 1s/],
    [
      'delivery',
      [timeout],
      'fail',
      /No complete answer within 10s: the platform counts a failure and retries it 2s, 4s, 8s later \(4 attempts in all\), and 10 failures/,
    ],
    ['delivery', [answer(302)], 'fail', /does not follow redirects/],
    ['delivery', [answer(401, { head: 'Invalid signature' })], 'fail', /401 \("Invalid signature"\)\. Is the secret/],
    ['delivery', [answer(404)], 'fail', /nothing takes a POST/],
    ['delivery', [answer(422)], 'fail', /refused the catalog's sample/],
    ['delivery', [answer(500)], 'fail', /failed with 500/],
    ['delivery', [answer(200, { error: 'connection reset' })], 'fail', /broke before the answer ended/],
    ['delivery', [reset], 'fail', /Did your receiver crash/],
    ['forged', [answer(401)], 'pass', /refused a delivery signed with another secret with 401/],
    ['forged', [answer(200)], 'fail', /^Your endpoint accepts forged deliveries/],
    ['tampered', [answer(202)], 'fail', /^Your endpoint accepts forged deliveries: .*changed after it was signed/],
    ['unsigned', [answer(200)], 'fail', /^Your endpoint accepts forged deliveries: .*no signature header/],
    [
      'unsigned',
      [answer(500, { head: '<html><title>Error</title><pre>TypeError: bad</pre></html>' })],
      'warn',
      /with 500 \("TypeError: bad"\), not a 4xx/,
    ],
    ['forged', [answer(302)], 'warn', /^Proves nothing: the answer was a redirect/],
    ['forged', [reset], 'warn', /crash/],
    ['stale', [answer(400)], 'pass', /checks webhook-timestamp/],
    ['stale', [answer(200)], 'warn', /no replay protection/],
    ['reserialized', [answer(200)], 'pass', /verifies the bytes/],
    ['reserialized', [answer(401)], 'fail', /verifies a re-serialized body/],
    ['reserialized', [answer(500)], 'fail', /failed on a correctly signed delivery/],
    ['duplicate', [answer(200), answer(200)], 'pass', /as they must/],
    ['duplicate', [answer(200), answer(409)], 'fail', /answered 409 to the same one sent again/],
    ['duplicate', [answer(200), timeout], 'fail', /No complete answer/],
  ] as const)('%s answered %j: %s', (kind, answers, status, explain) => {
    const result = judge(byKind(kind), answers, ctx);
    expect(result.status).toBe(status);
    expect(result.explain).toMatch(explain);
    expect(result.link).toMatch(/^https:\/\/www\.npmjs\.com\/package\/v2k-webhooks#/);
    if (status !== 'pass' && !result.explain.startsWith('Proves nothing')) expect(result.fix).toBeTruthy();
  });

  it('shows the raw-body fix when the receiver verifies a re-serialized body', () => {
    const result = judge(byKind('reserialized'), [answer(401)], ctx);
    expect(result.snippet?.join('\n')).toMatch(/express\.raw\(.*verify\(\{ payload: req\.body/s);
    expect(Math.max(...(result.snippet ?? []).map((l) => l.length))).toBeLessThanOrEqual(72); // fits 80 columns under the card's indent
    expect(result.link).toMatch(/#verifying-deliveries-in-your-receiver$/);
  });

  it.each(['forged', 'tampered', 'unsigned', 'stale', 'reserialized', 'duplicate'] as const)(
    '%s proves nothing when the valid delivery was refused too',
    (kind) => {
      const result = judge(byKind(kind), [answer(401), answer(401)], { ...ctx, baseline: answer(401) });
      expect(result).toMatchObject({
        status: 'warn',
        explain: expect.stringMatching(/^Proves nothing: the valid trade.completed delivery was refused too/),
      });
      expect(result.fix).toBeUndefined();
    },
  );

  it("says when the timeout was the check's own, shorter than the platform's", () => {
    const result = judge(byKind('delivery'), [timeout], { ...ctx, timeoutMs: 2_000 });
    expect(result.explain).toMatch(/within 2s \(the check's timeout; the platform waits 10s\)/);
  });

  it('fails every redirect and warns about answers over 1 MiB', () => {
    expect(judgeRedirects([answer(200), answer(401)]).status).toBe('pass');
    expect(judgeRedirects([answer(200), answer(301)])).toMatchObject({ status: 'fail', outcome: '1 of 2 redirected' });
    expect(judgeSizes([answer(200, { bytes: 900 })])).toMatchObject({ status: 'pass', outcome: 'largest 900 bytes' });
    expect(judgeSizes([answer(200, { bytes: 2 ** 20 + 1, overCap: true })])).toMatchObject({
      status: 'warn',
      title: 'answers under 1 MiB',
      explain: expect.stringMatching(/first 4 KiB/),
    });
  });
});
