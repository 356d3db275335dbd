import { describe, expect, it } from 'vitest';
import { clip, printable } from '../../src/core/printable.js';
import { table } from '../../src/cli/format.js';
import { PLAIN, renderEvent } from '../../src/listener/pretty.js';
import type { ListenerEvent } from '../../src/listener/types.js';
import { renderWebhook, snippet } from '../../src/cli/webhook-view.js';
import { Chalk } from 'chalk';

describe('printable', () => {
  it.each([
    ['plain text', 'plain text'],
    ['tab\tand\nnewline\r', 'tab\\tand\\nnewline\\r'],
    ['\u001b]0;owned\u0007', '\\x1b]0;owned\\x07'],
    ['\u001b[2J clear', '\\x1b[2J clear'],
    ['del\u007f and c1 \u009b', 'del\\x7f and c1 \\x9b'],
    ['unicode stays: é ♫ 🎵', 'unicode stays: é ♫ 🎵'],
  ])('%j → %j', (input, expected) => {
    expect(printable(input)).toBe(expected);
  });
});

describe('clip', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly ten', 11, 'exactly ten'],
    ['a bit too long', 10, 'a bit too…'],
    ['anything', 1, '…'],
    ['anything', 0, ''],
    ['ab🎵cd', 4, 'ab…'], // the cut would split the note's surrogate pair: it goes whole
  ])('%j in %d → %j', (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(Math.max(0, max));
  });
});

describe('terminal output never carries escape sequences from data', () => {
  it('table() escapes control characters in cells but keeps its own colours', () => {
    const red = '\u001b[31mfailed\u001b[39m';
    const out = table(['URL', 'STATUS'], [['https://x.test/\u001b]0;owned\u0007', red]]);
    expect(out).toContain('https://x.test/\\x1b]0;owned\\x07');
    expect(out).toContain(red);
    expect(out).not.toContain('\u0007');
  });

  it("listen's event line escapes what the sender put in the event type, ids and data", () => {
    const event = {
      type: 'event',
      receivedAt: '2026-01-01T00:00:00.000Z',
      method: 'POST',
      path: '/',
      event: 'trade.failed\u001b[2J',
      eventId: 'evt_\u001b]0;x\u0007',
      deliveryId: 'dlv_1',
      attempt: 1,
      verdict: { ok: true, reason: 'verified', label: 'verified', message: '', signature: 'verified' },
      summary: 'trade tx failed: \u001b]0;owned\u0007\u001b[2J',
      bytes: 10,
      payload: null,
      forwards: [],
      status: 200,
    } as ListenerEvent;
    const lines = renderEvent(event, PLAIN).join('\n');
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(lines).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(lines).toContain('\\x1b]0;owned\\x07');
  });

  it("get's view and the response snippets of test and deliveries escape what the API or a receiver sent", () => {
    const hook = {
      id: 'wh_1',
      url: 'https://x.test/\u001b]0;owned\u0007',
      events: ['*' as const],
      description: 'mine\u001b[2J',
      isActive: true,
      disabledReason: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const view = renderWebhook(hook, new Chalk({ level: 0 }));
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(view).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(view).toContain('mine\\x1b[2J');
    expect(snippet('ok\u001b]0;owned\u0007')).toBe('ok\\x1b]0;owned\\x07');
  });
});
