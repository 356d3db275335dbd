import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestHeaders } from '../../../src/core/signature.js';
import { app, bodyOf, cleanup, deliver, SECRET } from '../../integration/listener/deliver.js';
import { startListen, type RunningListen } from './spawn.js';

async function listen(args: string[]): Promise<RunningListen> {
  const running = await startListen(args, { V2K_WEBHOOK_SECRET: SECRET });
  cleanup.push(() => running.stop());
  return running;
}

describe('listen (the built CLI) trusts only what is signed (issue 14)', () => {
  it('a signed test body with a forged X-V2K-Event: header mismatch in --json and the record, not routed or counted as the header says', async () => {
    const trades = await app({ name: 'trades' });
    const record = join(mkdtempSync(join(tmpdir(), 'v2k-trust-')), 'deliveries.jsonl');
    const running = await listen([
      '--forward',
      `trade.*=${trades.url}`,
      '--record',
      record,
      '--expect',
      'trade.completed',
      '--timeout',
      '3s',
    ]);
    const body = bodyOf('test');
    const headers = { ...generateTestHeaders({ payload: body, secret: SECRET }), 'x-v2k-event': 'trade.completed' };
    expect((await deliver(running.url, { body, headers })).status).toBe(200); // nothing routed: the listener answers

    const [event] = await running.waitForEvents(1);
    expect(event).toMatchObject({
      event: 'test',
      verdict: { ok: false, reason: 'header_mismatch', label: 'header mismatch', signature: 'verified' },
      forwards: [],
    });
    const { exitCode } = await running.exited();
    expect(exitCode).toBe(1); // the expectation was not met by a forged header
    expect(running.lines.at(-1)).toMatchObject({
      type: 'expectations',
      ok: false,
      expectations: [{ pattern: 'trade.completed', seen: 0 }],
    });
    expect(trades.received).toHaveLength(0);
    const [line] = readFileSync(record, 'utf8').trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({
      headers: { 'x-v2k-event': 'trade.completed' },
      verdict: { ok: false, reason: 'header_mismatch' },
    });
  });

  it('routes a signed 64 KB event type against a many-wildcard pattern without stalling', async () => {
    const approvals = await app({ name: 'approvals' });
    const running = await listen(['--forward', `*.*.*.approved=${approvals.url}`]);
    // A type no pattern matches, built to make a backtracking matcher try every split of its dots.
    // Sent without X-V2K-Event: a 64 KB header would not fit in Node's 16 KB of headers; the body carries it.
    const signed = (payload: string) => {
      const { 'x-v2k-event': _tooLong, ...headers } = generateTestHeaders({ payload, secret: SECRET, event: 'x' });
      return headers;
    };
    const type = `${'a.'.repeat(32 * 1024)}x`;
    const body = JSON.stringify({ event: type, timestamp: '2025-12-02T12:00:00Z', data: { n: 1 } });
    expect((await deliver(running.url, { body, headers: signed(body) })).status).toBe(200);
    const [event] = await running.waitForEvents(1);
    expect(event).toMatchObject({ event: type, verdict: { reason: 'verified' }, forwards: [] });
    expect(approvals.received).toHaveLength(0);

    const approved = `${'a.'.repeat(32 * 1024)}approved`;
    const okBody = JSON.stringify({ event: approved, timestamp: '2025-12-02T12:00:00Z', data: {} });
    expect((await deliver(running.url, { body: okBody, headers: signed(okBody) })).status).toBe(200);
    await approvals.waitFor(1);
  });
});
