import { describe, expect, it } from 'vitest';
import {
  EVENT_CATALOG,
  EVENT_TYPES,
  subscribes,
  validateEventData,
  type DeliverableEvent,
} from '../../src/core/events.js';

const ALL = Object.keys(EVENT_CATALOG) as DeliverableEvent[];

describe('event catalog', () => {
  it('has the seven types of the guide and test', () => {
    expect([...EVENT_TYPES]).toEqual([
      'trade.completed',
      'trade.failed',
      'alert.triggered',
      'royalty.claimed',
      'portfolio.updated',
      'user.kyc.approved',
      'user.kyc.rejected',
    ]);
    expect(ALL).toEqual([...EVENT_TYPES, 'test']);
  });

  it.each(ALL)('%s: the sample passes its own validator', (type) => {
    expect(validateEventData(type, EVENT_CATALOG[type].sample.data)).toEqual({ ok: true });
    expect(EVENT_CATALOG[type].sample.event).toBe(type);
  });

  const removals = ALL.flatMap((type) => EVENT_CATALOG[type].fields.map((field) => ({ type, field: field.name })));
  it.each(removals)('$type without $field fails and names the field', ({ type, field }) => {
    const data: Record<string, unknown> = structuredClone(EVENT_CATALOG[type].sample.data) as never;
    delete data[field];
    const result = validateEventData(type, data);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toContainEqual({ field: `data.${field}`, message: `data.${field} is required` });
  });

  const wrongKinds: Array<[DeliverableEvent, string, unknown, RegExp]> = [
    ['trade.completed', 'amount', '100', /finite number/],
    ['trade.completed', 'amount', Number.NaN, /finite number/],
    ['trade.completed', 'type', 'HOLD', /BUY, SELL/],
    ['alert.triggered', 'condition', 'SIDEWAYS', /ABOVE, BELOW/],
    ['royalty.claimed', 'tracks', 'track_789', /array/],
    ['user.kyc.approved', 'verifiedAt', 'not a date', /ISO-8601/],
    ['test', 'test', 'yes', /true or false/],
  ];
  it.each(wrongKinds)('%s with %s = %j fails', (type, field, value, message) => {
    const data = { ...(EVENT_CATALOG[type].sample.data as object), [field]: value };
    const result = validateEventData(type, data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.message).toMatch(message);
  });

  it('checks the items of royalty.claimed tracks with their index', () => {
    const result = validateEventData('royalty.claimed', {
      userId: 'u',
      amount: 1,
      tracks: [{ trackId: 't', amount: 1 }, { trackId: 't2' }],
    });
    expect(result).toEqual({
      ok: false,
      problems: [{ field: 'data.tracks[1].amount', message: 'data.tracks[1].amount is required' }],
    });
  });

  it('rejects unknown types and data that is not an object', () => {
    expect(validateEventData('trade.exploded', {})).toMatchObject({ ok: false, problems: [{ field: 'event' }] });
    expect(validateEventData('trade.failed', [])).toMatchObject({ ok: false, problems: [{ field: 'data' }] });
    expect(validateEventData('trade.failed', null)).toMatchObject({ ok: false, problems: [{ field: 'data' }] });
  });

  it('routes events by subscription, with * for all', () => {
    expect(subscribes(['trade.completed'], 'trade.completed')).toBe(true);
    expect(subscribes(['trade.completed'], 'trade.failed')).toBe(false);
    expect(subscribes(['*'], 'user.kyc.rejected')).toBe(true);
    expect(subscribes(['alert.triggered'], 'test')).toBe(true);
  });
});
