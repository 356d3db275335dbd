import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/events.js';
import { didYouMean, suggest } from '../../src/core/suggest.js';

describe('suggest: the closest candidates for a typo', () => {
  it.each([
    ['amout', ['amount', 'price', 'tradeId'], ['amount']],
    ['trade.complete', EVENT_TYPES, ['trade.completed']],
    ['trade.compelted', EVENT_TYPES, ['trade.completed']],
    ['TRADE.COMPLETED', EVENT_TYPES, ['trade.completed']],
    ['lsit', ['list', 'listen', 'login'], ['list']],
    ['user.kyc.approve', EVENT_TYPES, ['user.kyc.approved']],
    ['nosuch', ['list', 'listen', 'login'], []],
    ['x', ['amount'], []],
    ['amount', ['amount'], []],
  ])('%s → %j', (input, candidates, expected) => {
    expect(suggest(input, candidates)).toEqual(expected);
  });

  it('says it as a sentence', () => {
    expect(didYouMean('amout', ['amount'])).toBe(' Did you mean "amount"?');
    expect(didYouMean('lisr', ['list', 'lisa'])).toBe(' Did you mean "lisa" or "list"?');
    expect(didYouMean('zzz', ['amount'])).toBe('');
  });
});
