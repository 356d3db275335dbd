import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../src/core/duration.js';
import { parseDuration } from '../../src/cli/register/parsers.js';

describe('formatDuration: one format for every duration the CLI prints', () => {
  it.each([
    [0, '0ms'],
    [12.4, '12ms'],
    [250, '250ms'],
    [999.4, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [10_001, '10s'],
    [30_000, '30s'],
    [59_990, '1m'],
    [60_000, '1m'],
    [90_000, '90s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([250, 1500, 30_000, 90_000, 120_000, 3_600_000])('%d ms reads back with parseDuration', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
