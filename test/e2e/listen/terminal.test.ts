import { freePort } from '../../helpers/serve.js';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../../src/core/events.js';
import { generateTestHeaders } from '../../../src/core/signature.js';
import { runInPty } from '../../helpers/pty.js';
import { app, bodyOf, deliver, SECRET } from '../../integration/listener/deliver.js';

// issue 17.8: at a 100-column terminal, listen's and demo's lines fit: short ids, aligned
// columns, padded event names. Full ids stay in --json and the record (listen.test.ts).
const COLUMNS = 100;

function tooWide(output: string): string[] {
  return output.split('\n').filter((line) => [...line].length > COLUMNS);
}

/** Delivery and event ids as long as the platform's (`dlv_` + 24 hex). */
const id = (prefix: string, n: number) => `${prefix}_1a22c3e141e1eb93e73b8f${String(n).padStart(2, '0')}`;

describe('listen at a 100-column terminal', () => {
  it('prints every line within 100 columns, ids shortened, columns aligned', async () => {
    const target = await app();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const run = runInPty(
      [
        'listen',
        '--port',
        String(port),
        '--secret',
        SECRET,
        '--forward',
        target.url,
        '--expect',
        'user.kyc.rejected',
        '--timeout',
        '20s',
      ],
      { env: { HOME: '/nonexistent' }, steps: [], columns: COLUMNS },
    );
    // The listener starts inside the pseudo-terminal: send once it answers.
    for (let i = 0; ; i++) {
      try {
        await fetch(url, { method: 'GET' });
        break;
      } catch (error) {
        if (i === 200) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const send = async (event: (typeof EVENT_TYPES)[number], n: number, secret = SECRET) => {
      const body = bodyOf(event);
      const headers = generateTestHeaders({
        payload: body,
        secret,
        deliveryId: id('dlv', n),
        eventId: id('evt', n),
        attempt: n === 2 ? 2 : 1,
      });
      await deliver(url, { body, headers });
    };
    await send('trade.completed', 0, 'whsec_forgedforgedforgedforgedforged00'); // a bad signature, with its explanation
    for (const [n, event] of EVENT_TYPES.entries()) await send(event, n + 1);
    const result = await run;

    expect(result.exitCode, result.output).toBe(0);
    expect(tooWide(result.output)).toEqual([]);
    const eventLines = result.output.split('\n').filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l));
    expect(eventLines).toHaveLength(EVENT_TYPES.length + 1);
    // Short ids, no full ones; the verdict column starts at the same place on every line.
    expect(result.output).not.toContain(id('dlv', 3));
    expect(result.output).toContain(`…${id('dlv', 3).slice(-8)}`);
    expect(new Set(eventLines.map((l) => l.indexOf('[')))).toHaveLength(1);
    expect(eventLines[2]).toMatch(/ #2 +\[verified\]/);
  });
});

describe('demo at a 100-column terminal', () => {
  it('prints every line within 100 columns', async () => {
    const result = await runInPty(['demo'], { env: { HOME: '/nonexistent' }, steps: [], columns: COLUMNS });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/Done in/);
    expect(tooWide(result.output)).toEqual([]);
  });
});

// A pseudo-terminal nobody sized (`script` from a pipe, some CI runners) reports 0 columns: lines
// are then written whole, as off a terminal, not fitted to 0 (which put one word on each line).
describe('a terminal that reports 0 columns', () => {
  it('demo writes its sentences whole', async () => {
    const result = await runInPty(['demo'], { env: { HOME: '/nonexistent' }, steps: [], columns: 0 });
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/^Triggering \d+ events; the app fails trade\.failed once/m);
    const oneWordLines = result.output
      .split('\n')
      .filter((line) => /^[^\s]+$/.test(line.trim()) && line.trim().length > 0);
    expect(oneWordLines).toEqual([]);
  });

  it('--help lays out as for 80 columns', async () => {
    const run = (columns: number) => runInPty(['--help'], { env: { HOME: '/nonexistent' }, steps: [], columns });
    const [zero, eighty] = await Promise.all([run(0), run(80)]);
    expect(zero.exitCode).toBe(0);
    expect(zero.output).toBe(eighty.output);
  });
});
