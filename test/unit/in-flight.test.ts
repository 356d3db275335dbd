import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/core/in-flight.js';

describe('InFlight', () => {
  it('is idle at once with nothing in flight', async () => {
    const work = new InFlight();
    expect(work.size).toBe(0);
    await expect(work.idle()).resolves.toBeUndefined();
  });

  it('resolves every waiter when the last piece of work ends, not before', async () => {
    const work = new InFlight();
    work.start();
    work.start();
    const seen: string[] = [];
    const a = work.idle().then(() => seen.push('a'));
    const b = work.idle().then(() => seen.push('b'));
    work.end();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    expect(work.size).toBe(1);
    work.end();
    await Promise.all([a, b]);
    expect(seen).toEqual(['a', 'b']);
    expect(work.size).toBe(0);
  });
});
