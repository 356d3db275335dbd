import { describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../../src/core/events.js';
import {
  createExpectations,
  matchesPattern,
  parseExpectation,
  parseTarget,
  routeFor,
  summarize,
  type ListenerEvent,
} from '../../../src/listener/index.js';

describe('parseTarget', () => {
  it.each([
    ['localhost:3000', 'http://localhost:3000/', []],
    ['3000', 'http://localhost:3000/', []],
    [':3000/hooks', 'http://localhost:3000/hooks', []],
    ['http://127.0.0.1:8080/webhooks/v2k?x=a=b', 'http://127.0.0.1:8080/webhooks/v2k?x=a=b', []],
    ['https://example.com/hook', 'https://example.com/hook', []],
    ['trade.*=localhost:3000/trades', 'http://localhost:3000/trades', ['trade.*']],
    ['alert.triggered,user.*=http://localhost:4001/', 'http://localhost:4001/', ['alert.triggered', 'user.*']],
  ])('%s → %s %j', (spec, url, patterns) => {
    expect(parseTarget(spec)).toEqual({ spec, url, patterns });
  });

  it.each(['ftp://localhost/', 'http://user:pw@localhost:3000/', 'http://', 'trade.*='])('rejects %s', (spec) => {
    expect(() => parseTarget(spec)).toThrow();
  });
});

describe('matchesPattern and routeFor', () => {
  it.each([
    ['trade.*', 'trade.completed', true],
    ['trade.*', 'trade.failed', true],
    ['trade.*', 'alert.triggered', false],
    ['user.*', 'user.kyc.approved', true],
    ['*', 'test', true],
    ['trade.completed', 'trade.completed', true],
    ['trade.completed', 'trade.completedX', false],
    ['trade.complete', 'trade.completed', false],
    ['*.failed', 'trade.failed', true],
    ['trade.?', 'trade.x', false],
  ])('%s ~ %s → %s', (pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('keeps the order given; targets without a pattern take everything, even an event with no type', () => {
    const targets = ['alert.*=localhost:1/a', 'localhost:2', 'trade.*=localhost:3/t'].map(parseTarget);
    expect(routeFor(targets, 'trade.completed').map((t) => t.url)).toEqual([
      'http://localhost:2/',
      'http://localhost:3/t',
    ]);
    expect(routeFor(targets, 'alert.triggered').map((t) => t.url)).toEqual([
      'http://localhost:1/a',
      'http://localhost:2/',
    ]);
    expect(routeFor(targets, undefined).map((t) => t.url)).toEqual(['http://localhost:2/']);
  });
});

describe('expectations', () => {
  it.each([
    ['trade.completed', { pattern: 'trade.completed', count: 1 }],
    ['trade.completed:3', { pattern: 'trade.completed', count: 3 }],
    ['trade.*:2', { pattern: 'trade.*', count: 2 }],
    ['test', { pattern: 'test', count: 1 }],
  ])('parses %s', (spec, expected) => {
    expect(parseExpectation(spec)).toEqual(expected);
  });

  it.each(['trade.exploded', 'trade.completed:0', 'trade.completed:x', '', 'a b'])('rejects %j', (spec) => {
    expect(() => parseExpectation(spec)).toThrow();
  });

  const event = (
    type: string,
    deliveryId: string,
    reason: ListenerEvent['verdict']['reason'] = 'verified',
  ): ListenerEvent => ({
    type: 'event',
    receivedAt: '',
    method: 'POST',
    path: '/',
    event: type,
    eventId: null,
    deliveryId,
    attempt: 1,
    verdict: {
      ok: reason === 'verified',
      reason,
      label: '',
      message: '',
      signature: reason === 'header_mismatch' ? 'verified' : reason,
    },
    summary: '',
    bytes: 0,
    payload: null,
    forwards: [],
    status: 200,
  });

  it('counts verified deliveries once each (retries do not count twice); bad signatures do not count', () => {
    const e = createExpectations([parseExpectation('trade.*:2'), parseExpectation('alert.triggered')]);
    expect(e.record(event('trade.completed', 'dlv_1'))).toBe(false);
    expect(e.record(event('trade.completed', 'dlv_1'))).toBe(false); // a retry
    expect(e.record(event('trade.failed', 'dlv_2', 'bad_signature'))).toBe(false);
    expect(e.record(event('trade.failed', 'dlv_3'))).toBe(false);
    expect(e.missing()).toEqual([{ pattern: 'alert.triggered', count: 1, seen: 0, met: false }]);
    expect(e.record(event('alert.triggered', 'dlv_4', 'no_secret'))).toBe(true);
    expect(e.status().map((s) => s.seen)).toEqual([2, 1]);
  });
});

describe('summaries per event type', () => {
  it.each([
    ['trade.completed', 'BUY 100 × track_789 @ 1.50 = 150.00'],
    ['trade.failed', 'trade tx_123 failed: Insufficient balance'],
    ['alert.triggered', 'track_789 ABOVE 2.00 (now 2.05)'],
    ['royalty.claimed', 'claimed 150.50 from 1 track (track_789)'],
    ['portfolio.updated', 'total 50000.00, +500.00 (+1.01%)'],
    ['user.kyc.approved', 'KYC approved for user_456 at 2025-12-02T12:00:00Z'],
    ['user.kyc.rejected', 'KYC rejected for user_456: Invalid document'],
    ['test', 'test event: This is a test webhook'],
  ] as const)('%s → %s', (type, expected) => {
    expect(summarize(type, EVENT_CATALOG[type].sample.data)).toBe(expected);
  });

  it.each([
    ['trade.completed', { type: 'SELL' }, 'SELL ? × ? @ ? = ?'],
    ['royalty.claimed', { amount: 'x', tracks: 'none' }, 'claimed ? from ? tracks'],
    ['unknown.type', { a: 1, b: 2 }, 'fields: a, b'],
    ['trade.completed', null, ''],
    ['trade.completed', [1, 2], ''],
  ])('never throws on odd data: %s %j', (type, data, expected) => {
    expect(summarize(type, data)).toBe(expected);
  });
});
