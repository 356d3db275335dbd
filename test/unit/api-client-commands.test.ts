import { describe, expect, it } from 'vitest';
import { applySet } from '../../src/cli/commands/trigger.js';
import { EVENT_CATALOG } from '../../src/core/events.js';
import { editEvents } from '../../src/cli/commands/update.js';
import { EVENT_TYPES, type EventSubscription } from '../../src/core/events.js';
import { checkDescription, parseEvents, shortEvents } from '../../src/cli/webhook-view.js';

// The pure logic behind the management commands' arguments, as tables of cases.
const ALL_BUT = (...out: string[]) => EVENT_TYPES.filter((t) => !out.includes(t));

describe('update: editEvents(current, add, remove)', () => {
  it.each<[EventSubscription[], EventSubscription[], EventSubscription[], EventSubscription[]]>([
    [['trade.completed'], ['trade.failed'], [], ['trade.completed', 'trade.failed']],
    [['trade.completed'], ['trade.completed'], [], ['trade.completed']],
    [['trade.completed', 'trade.failed'], [], ['trade.completed'], ['trade.failed']],
    [['*'], ['trade.failed'], [], ['*']],
    [['*'], [], ['trade.failed'], ALL_BUT('trade.failed')],
    [['trade.completed'], ['*'], [], ['*']],
    [['trade.completed'], ['*'], ['alert.triggered'], ALL_BUT('alert.triggered')],
    [['trade.completed'], ['trade.failed'], ['trade.completed'], ['trade.failed']],
    [['trade.completed'], [], ['user.kyc.approved'], ['trade.completed']],
  ])('%j + %j − %j → %j', (current, add, remove, expected) => {
    expect(editEvents(current, add, remove, 'wh_1')).toEqual(expected);
  });

  it('refuses to leave no event', () => {
    expect(() => editEvents(['trade.completed'], [], ['trade.completed'], 'wh_1')).toThrow(/no events/);
  });
});

describe('trigger: applySet(data, "path=value")', () => {
  it.each([
    ['amount=250', { amount: 1 }, { amount: 250 }],
    ['amount=1.5', { amount: 1 }, { amount: 1.5 }],
    ['tradeId=123', { tradeId: 'tx' }, { tradeId: '123' }], // stays a string where the sample has one
    ['tradeId="123"', { tradeId: 'tx' }, { tradeId: '123' }],
    ['type=SELL', { type: 'BUY' }, { type: 'SELL' }],
    ['flag=true', { flag: false }, { flag: true }],
    ['note=hello world', { note: '' }, { note: 'hello world' }],
    ['expr=a=b', { expr: '' }, { expr: 'a=b' }],
    ['tracks.0.amount=3', { tracks: [{ amount: 1 }] }, { tracks: [{ amount: 3 }] }],
    ['meta.source=cli', { meta: { source: 'web' } }, { meta: { source: 'cli' } }],
    ['list.0=x', { list: [] }, { list: ['x'] }],
  ])('%s', (assignment, data, expected) => {
    applySet(data, assignment);
    expect(data).toEqual(expected);
  });

  it('a list grows by one at its end, with the fields the catalog gives its items', () => {
    const data = { userId: 'u', amount: 1, tracks: [{ trackId: 't_1', amount: 1 }] };
    applySet(data, 'tracks[1].trackId=t_2', EVENT_CATALOG['royalty.claimed'].fields);
    expect(data.tracks).toEqual([{ trackId: 't_1', amount: 1 }, { trackId: 't_2' }]);
  });

  it.each([['amount'], ['=3'], ['__proto__.polluted=1'], ['a.constructor.x=1']])('refuses %s', (assignment) => {
    expect(() => applySet({}, assignment)).toThrow();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // issue 17: a typo used to add a field nobody reads, and the event went out as it was.
  it.each([
    ['amout=250', /--set amout=250: data has no field "amout"\. Did you mean "amount"\?/],
    ['amount.x=1', /data\.amount has no field "x"/],
    ['tracks.5.amount=1', /data\.tracks is a list of 1, so "5" is not one of its places/],
    ['tracks.0.amuont=1', /data\.tracks\.0 has no field "amuont"\. Did you mean "amount"\?/],
  ])('refuses the unknown path of %s, with a did-you-mean', (assignment, message) => {
    const data = structuredClone(EVENT_CATALOG['royalty.claimed'].sample.data);
    expect(() => applySet(data, assignment, EVENT_CATALOG['royalty.claimed'].fields)).toThrow(message);
  });
});

describe('parseEvents', () => {
  it.each<[string[] | undefined, string[]]>([
    [undefined, []],
    [['trade.completed'], ['trade.completed']],
    [['trade.completed, trade.failed'], ['trade.completed', 'trade.failed']],
    [
      ['trade.completed', 'trade.failed,trade.completed'],
      ['trade.completed', 'trade.failed'],
    ],
    [['*', 'trade.failed'], ['*']],
    [[' , '], []],
  ])('%j → %j', (values, expected) => {
    expect(parseEvents(values, '--events')).toEqual(expected);
  });

  it.each([['test'], ['trade.*'], ['TRADE.COMPLETED']])('refuses %s', (value) => {
    expect(() => parseEvents([value], '--events')).toThrow(/--events: unknown event type/);
  });
});

describe('checkDescription (the API accepts at most 500 characters, no control characters)', () => {
  it.each([
    ['ci hook', true],
    ['', true],
    ['é 🎵 ünïcode', true],
    ['d'.repeat(500), true],
    ['d'.repeat(501), false],
    ['two\nlines', false],
    ['tab\there', false],
    ['bell\u0007', false],
    ['del\u007f', false],
    ['c1\u0085', false],
  ])('%j → %s', (value, ok) => {
    expect(checkDescription(value) === true).toBe(ok);
  });
});

describe('shortEvents', () => {
  it.each([
    [['*'], '*'],
    [['a', 'b', 'c'], 'a,b,c'],
    [['a', 'b', 'c', 'd', 'e'], 'a,b +3 more'],
  ])('%j → %s', (events, text) => {
    expect(shortEvents(events)).toBe(text);
  });
});
