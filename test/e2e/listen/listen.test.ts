import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { generateTestHeaders } from '../../../src/core/signature.js';
import { cli } from '../../helpers/cli.js';
import { startReceiver } from '../../helpers/receiver.js';
import { app, bodyOf, cleanup, deliver, SECRET } from '../../integration/listener/deliver.js';
import { startListen, type RunningListen } from './spawn.js';

async function listen(args: string[], env: Record<string, string> = {}): Promise<RunningListen> {
  const running = await startListen(args, env);
  cleanup.push(() => running.stop());
  return running;
}

describe('listen (the built CLI)', () => {
  it('prints a ready line, then one JSON line per event with its verdict and forward results; stops cleanly on SIGTERM', async () => {
    const target = await app();
    const running = await listen(['--forward', target.url], { V2K_WEBHOOK_SECRET: SECRET });
    expect(running.ready).toMatchObject({ type: 'ready', forward: [target.url], secrets: 1, webhook: null });
    expect(JSON.stringify(running.ready)).not.toContain(SECRET);

    expect((await deliver(running.url, { secret: SECRET, event: 'alert.triggered' })).status).toBe(200);
    expect((await deliver(running.url, { secret: 'whsec_other', event: 'trade.completed' })).status).toBe(401); // the app refuses it
    const events = await running.waitForEvents(2);
    expect(events[0]).toMatchObject({
      type: 'event',
      event: 'alert.triggered',
      verdict: { ok: true, label: 'verified' },
      summary: 'track_789 ABOVE 2.00 (now 2.05)',
      forwards: [{ url: target.url, status: 200, answered: true }],
      status: 200,
    });
    expect(events[1]).toMatchObject({ verdict: { ok: false, label: 'bad signature' }, status: 401 });

    const { exitCode, stderr } = await running.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(stderr).toMatch(/Stopped/);
  });

  it('prints human lines: time, type, ids, verdict and summary, then the forward result; --verbose adds the JSON', async () => {
    const target = await app();
    // cli() hands back execa's subprocess, which is also the promise of its result.
    const child = cli([
      'listen',
      '--port',
      '0',
      '--secret',
      SECRET,
      '--forward',
      target.url,
      '--verbose',
      '--expect',
      'royalty.claimed',
      '--timeout',
      '20s',
    ]) as unknown as ResultPromise;
    cleanup.push(async () => child.kill());
    // The human mode prints the URL on stderr; find the port from it.
    const url = await new Promise<string>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        const match = /Listening on (http:\/\/\S+?),/.exec(chunk.toString());
        if (match) resolve(match[1] as string);
      });
    });
    const body = bodyOf('royalty.claimed');
    const headers = generateTestHeaders({
      payload: body,
      secret: SECRET,
      deliveryId: 'dlv_human',
      eventId: 'evt_human',
    });
    expect((await deliver(url, { body, headers })).status).toBe(200);
    const result = await child;
    expect(result.exitCode).toBe(0);
    const lines = String(result.stdout).split('\n');
    expect(lines[0]).toMatch(
      /^\d\d:\d\d:\d\d {2}royalty\.claimed {4}evt_human dlv_human {2}\[verified\] {9}claimed 150\.50 from 1 track \(track_789\)$/,
    );
    expect(lines[1]).toMatch(new RegExp(`^ {2}→ 200 ${target.url} \\d+ms$`));
    expect(String(result.stdout)).toContain('"trackId": "track_789"');
    expect(result.stderr).toMatch(/All expectations met: royalty.claimed 1\/1/);
  });

  it('--reject-invalid answers 401 and forwards nothing', async () => {
    const target = await app();
    const running = await listen(['--forward', target.url, '--secret', SECRET, '--reject-invalid']);
    expect((await deliver(running.url, { secret: 'whsec_other' })).status).toBe(401);
    expect((await deliver(running.url, {})).status).toBe(401);
    const events = await running.waitForEvents(2);
    expect(events.map((e) => (e.verdict as { label: string }).label)).toEqual(['bad signature', 'no signature']);
    expect(target.received).toHaveLength(0);
  });

  it('--expect exits 0 as soon as every expectation is met', async () => {
    const running = await listen([
      '--secret',
      SECRET,
      '--expect',
      'trade.completed:2',
      '--expect',
      'alert.*',
      '--timeout',
      '20s',
    ]);
    await deliver(running.url, { secret: SECRET, event: 'trade.completed' });
    await deliver(running.url, { secret: 'whsec_wrong', event: 'trade.completed' }); // does not count
    await deliver(running.url, { secret: SECRET, event: 'alert.triggered' });
    await deliver(running.url, { secret: SECRET, event: 'trade.completed' });
    const { exitCode, stdout } = await running.exited();
    expect(exitCode).toBe(0);
    const last = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(last).toMatchObject({ type: 'expectations', ok: true, outcome: 'met' });
    expect(last.expectations.map((e: { seen: number }) => e.seen)).toEqual([2, 1]);
  });

  it('--expect exits 1 at the timeout, listing what was missing', async () => {
    const running = await listen([
      '--secret',
      SECRET,
      '--expect',
      'trade.completed:2',
      '--expect',
      'user.kyc.approved',
      '--timeout',
      '400ms',
    ]);
    await deliver(running.url, { secret: SECRET, event: 'trade.completed' });
    const { exitCode, stderr } = await running.exited();
    expect(exitCode).toBe(1);
    expect(stderr).toMatch(
      /Timed out after 400ms with expectations unmet:\n {2}trade\.completed: 1 of 2\n {2}user\.kyc\.approved: 0 of 1/,
    );
  });

  it('keeps one JSON object per line when a payload carries U+2028 or U+2029 (Node 24 readline splits there)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'v2k-sep-')), 'rec.jsonl');
    const running = await listen(['--secret', SECRET, '--record', file]);
    const note = 'line\u2028separator and paragraph\u2029separator';
    const body = JSON.stringify({ event: 'alert.triggered', timestamp: new Date().toISOString(), data: { note } });
    expect(body).toContain('\u2028'); // JSON.stringify leaves the separators raw: the case to handle
    expect((await deliver(running.url, { secret: SECRET, body })).status).toBe(200);
    await running.waitForEvents(1);
    const { stdout } = await running.stop('SIGTERM');
    const recorded = readFileSync(file, 'utf8');
    for (const text of [stdout, recorded]) {
      expect(text).not.toMatch(/[\u2028\u2029]/);
      // What a reader that also ends lines at U+2028/U+2029 sees: whole objects only.
      const lines = text.split(/\r?\n|\u2028|\u2029/).filter((line) => line.length > 0);
      for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
    const record = JSON.parse(recorded.trim()) as { body: string };
    expect(record.body).toBe(body); // escaped in the line, byte-identical once parsed
  });

  it('records deliveries, and replay re-sends them re-signed into a fresh app; a refusing app makes replay exit 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'v2k-rec-')), 'rec.jsonl');
    const running = await listen(['--secret', SECRET, '--record', file]);
    const bodies = (['trade.completed', 'royalty.claimed', 'user.kyc.rejected'] as const).map((e) => bodyOf(e));
    for (const body of bodies) await deliver(running.url, { body, secret: SECRET });
    await running.waitForEvents(3);
    await running.stop();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);

    const fresh = await app({ name: 'fresh' });
    const replayed = await cli(['--json', 'replay', file, '--to', fresh.url, '--secret', SECRET]);
    expect(replayed.exitCode).toBe(0);
    expect(JSON.parse(String(replayed.stdout))).toMatchObject({ sent: 3, failed: 0 });
    expect(fresh.received.map((d) => d.body.toString('utf8'))).toEqual(bodies);
    expect(fresh.received.every((d) => d.verified)).toBe(true);
    expect(fresh.received.map((d) => Number(d.headers['webhook-timestamp']))).toEqual([
      expect.any(Number),
      expect.any(Number),
      expect.any(Number),
    ]);

    const strict = await app({ name: 'strict', secret: 'whsec_another' });
    const refused = await cli(['replay', file, '--to', `localhost:${strict.port}`, '--secret', SECRET]);
    expect(refused.exitCode).toBe(1);
    expect(String(refused.stdout).split('\n')[0]).toMatch(/^401 {2}trade\.completed {2}dlv_\w+ {2}\d+ms$/);
    expect(refused.stderr).toMatch(/0 answered 2xx, 3 did not/);
  });

  it('replay without a secret sends the recorded signatures as they are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'v2k-rec-'));
    const body = bodyOf('trade.failed');
    const headers = generateTestHeaders({ payload: body, secret: SECRET });
    const file = join(dir, 'rec.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ receivedAt: '', method: 'POST', path: '/', headers, body, encoding: 'utf8', verdict: { ok: true, reason: 'verified' } })}\n`,
    );
    const target = await app();
    const result = await cli(['replay', file, '--to', target.url]);
    expect(result.exitCode).toBe(0);
    expect(target.received[0]?.headers['x-v2k-signature']).toBe(headers['x-v2k-signature']);
    expect(target.received[0]?.headers['webhook-timestamp']).toBe(headers['webhook-timestamp']);
  });

  it('replay says how long it waited for an app that never answers, in the one duration format', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'v2k-rec-')), 'rec.jsonl');
    const body = bodyOf('trade.failed');
    const headers = generateTestHeaders({ payload: body, secret: SECRET });
    writeFileSync(
      file,
      `${JSON.stringify({ receivedAt: '', method: 'POST', path: '/', headers, body, encoding: 'utf8' })}\n`,
    );
    const hanging = await startReceiver({ delayMs: 30_000 });
    cleanup.push(() => hanging.close());
    const result = await cli(['replay', file, '--to', hanging.url, '--timeout', '200ms']);
    expect(result.exitCode).toBe(1);
    expect(String(result.stdout)).toMatch(/^failed \(no answer within 200ms\) {2}trade\.failed {2}dlv_\w+ {2}\d+ms$/m);
  });

  it.each([
    [['listen', '--forward', 'ftp://x/'], /not an http\(s\) URL/],
    [['listen', '--expect', 'trade.exploded'], /unknown event type/],
    [
      ['listen', '--expect', 'trade.complted:2'],
      /unknown event type "trade.complted"\. Did you mean "trade\.completed"\?/,
    ],
    [['listen', '--expect', 'tset'], /Did you mean "test"\?/],
    [['listen', '--print-secret'], /--print-secret only works with --register/],
    [['listen', '--register', '--events', 'trade.completed,nope'], /unknown event type "nope"/],
    [['listen', '--timeout', 'soon'], /expected a duration/],
    [['listen', '--reject-invalid'], /--reject-invalid needs a secret/],
    // Flags that cannot take effect are refused, not ignored (issue 17).
    [['listen', '--register', '--secret', 'whsec_mine'], /--secret cannot be used with --register/],
    [['listen', '--write-env', '.env'], /--write-env only works with --register/],
    [['listen', '--register', '--write-env', '/nonexistent-dir/.env'], /Cannot write --write-env/],
    [['listen', '--forward-timeout', '2s'], /--forward-timeout only applies to forwards/],
    [['listen', '--json', '--verbose'], /--verbose adds the indented payload/],
    [['listen', '--record', '/nonexistent-dir/rec.jsonl', '--port', '0'], /Cannot open the record file/],
    [['replay', '/nonexistent.jsonl', '--to', 'localhost:1'], /Cannot read \/nonexistent.jsonl/],
    [['replay', 'x.jsonl'], /--to/],
  ])('usage error, exit 2: %j', async (args, message) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('--register without an API key exits 3', async () => {
    const result = await cli(['listen', '--port', '0', '--register', '--api-url', 'http://127.0.0.1:9']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/No API key/);
  });

  it('a port in use is an error that says what to do', async () => {
    const running = await listen([]);
    const result = await cli(['listen', '--port', String(running.port)]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/already in use[\s\S]*--port 0/);
  });
});
