import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestHeaders, sign } from '../../../src/core/signature.js';
import { createListener } from '../../../src/listener/index.js';
import { app, bodyOf, cleanup, deliver, deliverRaw, listen, SECRET } from './deliver.js';

describe('forwarding', () => {
  it('forwards the exact bytes and the headers, minus hop-by-hop ones and host; the app verifies them itself', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url] });
    // Spaces and a number format JSON.parse/stringify would change: any re-serialization breaks the signature.
    const body =
      '{"event": "trade.completed", "timestamp":"2025-12-02T12:00:00Z","data":{"tradeId":"tx_1","userId":"u","trackId":"track_1","type":"SELL","amount":3,"price":1.50,"totalValue":4.50,"txHash":"0x1"}}';
    const answer = await deliverRaw(listener.url, body, {
      ...generateTestHeaders({ payload: body, secret: SECRET }),
      'x-custom': 'kept',
      connection: 'keep-alive, x-private',
      'x-private': 'for the listener only',
      'keep-alive': 'timeout=5',
      'proxy-authorization': 'Basic eA==',
    });

    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ ok: true, app: 'app' });
    const [got] = await target.waitFor(1);
    expect(got?.body.equals(Buffer.from(body))).toBe(true);
    expect(got?.verified).toBe(true);
    expect(got?.headers['x-v2k-signature']).toBe(sign(body, SECRET));
    expect(got?.headers['x-custom']).toBe('kept');
    expect(got?.headers['keep-alive']).toBeUndefined();
    expect(got?.headers['proxy-authorization']).toBeUndefined();
    expect(got?.headers['x-private']).toBeUndefined();
    expect(got?.headers.host).toBe(`127.0.0.1:${target.port}`);
    expect(listener.events[0]).toMatchObject({
      event: 'trade.completed',
      verdict: { ok: true, label: 'verified' },
      status: 200,
    });
    expect(listener.events[0]?.summary).toBe('SELL 3 × track_1 @ 1.50 = 4.50');
    expect(listener.events[0]?.forwards).toEqual([
      expect.objectContaining({ url: target.url, status: 200, answered: true }),
    ]);
  });

  it("hands the app's status and body back, so the sender's retries see the app's real answer", async () => {
    const target = await app({ mode: { kind: 'answer', status: 503, body: 'busy, try later' } });
    const listener = await listen({ forward: [target.url] });
    const answer = await deliver(listener.url, { secret: SECRET });
    expect(answer).toMatchObject({ status: 503, body: 'busy, try later' });
  });

  it('answers 502 when the app is unreachable and 504 when it is too slow', async () => {
    const down = await app();
    await down.stop();
    const slow = await app({ mode: { kind: 'hang' } });
    const listener = await listen({ forward: [`trade.*=${down.url}`, `alert.*=${slow.url}`], forwardTimeoutMs: 200 });

    const unreachable = await deliver(listener.url, { secret: SECRET, event: 'trade.completed' });
    expect(unreachable.status).toBe(502);
    expect(JSON.parse(unreachable.body)).toMatchObject({ error: { code: 'app_unreachable' } });

    const timeout = await deliver(listener.url, { secret: SECRET, event: 'alert.triggered' });
    expect(timeout.status).toBe(504);
    expect(JSON.parse(timeout.body).error.message).toMatch(/did not answer within 200ms/);
    expect(listener.events.map((e) => e.forwards[0]?.error?.kind)).toEqual(['unreachable', 'timeout']);
  });

  it("answers 502 when the app's answer is over 1 MiB, and hands back one of exactly 1 MiB", async () => {
    const target = await app({ mode: { kind: 'answer', status: 200, body: 'x'.repeat(1024 * 1024 + 1) } });
    const listener = await listen({ forward: [target.url] });
    const over = await deliver(listener.url, { secret: SECRET });
    expect(over.status).toBe(502);
    expect(JSON.parse(over.body)).toMatchObject({ error: { code: 'app_answer_too_large' } });
    target.setMode({ kind: 'answer', status: 200, body: 'y'.repeat(1024 * 1024) });
    const exactly = await deliver(listener.url, { secret: SECRET });
    expect([exactly.status, exactly.body.length]).toEqual([200, 1024 * 1024]);
    expect(listener.events.map((e) => e.forwards[0]?.error?.kind ?? e.forwards[0]?.status)).toEqual(['too_large', 200]);
  });

  it("skips the app's 1xx answers and hands back its final headers, repeated ones included", async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' });
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(201, { 'x-app': 'hints', 'content-type': 'text/plain' }).end('made');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise((resolve) => server.close(resolve)));
    const listener = await listen({ forward: [`http://127.0.0.1:${(server.address() as AddressInfo).port}/`] });
    const answer = await deliver(listener.url, { secret: SECRET });
    expect([answer.status, answer.body]).toEqual([201, 'made']);
    expect(answer.headers.get('x-app')).toBe('hints');
    expect(answer.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(listener.events[0]?.forwards).toEqual([expect.objectContaining({ status: 201, answered: true })]);
  });

  it('routes by pattern and sends each event to every matching target; the first one answers', async () => {
    const trades = await app({ name: 'trades' });
    const everything = await app({ name: 'everything', mode: { kind: 'answer', status: 202 } });
    const listener = await listen({ forward: [`trade.*=${trades.url}trades`, everything.url] });

    const trade = await deliver(listener.url, { secret: SECRET, event: 'trade.failed' });
    const alert = await deliver(listener.url, { secret: SECRET, event: 'alert.triggered' });
    expect([trade.status, JSON.parse(trade.body).app]).toEqual([200, 'trades']);
    expect([alert.status, JSON.parse(alert.body).app]).toEqual([202, 'everything']);

    await everything.waitFor(2);
    expect(trades.received.map((d) => [d.path, d.event])).toEqual([['/trades', 'trade.failed']]);
    expect(everything.received.map((d) => d.event)).toEqual(['trade.failed', 'alert.triggered']);
    expect(listener.events[0]?.forwards.map((f) => [f.status, f.answered])).toEqual([
      [200, true],
      [202, false],
    ]);
  });

  it('answers 200 itself for an event no target takes', async () => {
    const trades = await app();
    const listener = await listen({ forward: [`trade.*=${trades.url}`] });
    const answer = await deliver(listener.url, { secret: SECRET, event: 'royalty.claimed' });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ forwarded: false, verdict: 'verified' });
    expect(trades.received).toHaveLength(0);
  });

  it('forwards and answers 200 concurrent deliveries', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url] });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => deliver(listener.url, { secret: SECRET, headers: { 'x-n': String(i) } })),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(200);
    await target.waitFor(200);
    expect(new Set(target.received.map((d) => d.headers['x-n'])).size).toBe(200);
    expect(target.received.every((d) => d.verified)).toBe(true);
    expect(listener.events).toHaveLength(200);
  });
});

describe('verdicts', () => {
  const body = bodyOf('trade.completed');
  const now = Math.floor(Date.now() / 1000);
  const good = generateTestHeaders({ payload: body, secret: SECRET });
  const cases: Array<[string, { headers: Record<string, string>; secrets?: string[] }, string]> = [
    ['a good signature', { headers: good }, 'verified'],
    [
      'a signature of another secret',
      { headers: generateTestHeaders({ payload: body, secret: 'whsec_other' }) },
      'bad signature',
    ],
    ['a tampered X-V2K-Signature', { headers: { ...good, 'x-v2k-signature': 'ab'.repeat(32) } }, 'bad signature'],
    ['no signature headers', { headers: { 'x-v2k-event': 'trade.completed' } }, 'no signature'],
    ['no secret configured', { headers: good, secrets: [] }, 'no secret'],
    [
      'an old timestamp',
      { headers: generateTestHeaders({ payload: body, secret: SECRET, timestamp: now - 3600 }) },
      'stale timestamp',
    ],
    ['rotation: the second secret matches', { headers: good, secrets: ['whsec_old', SECRET] }, 'verified'],
  ];

  it.each(cases.map(([name, given, label]) => [`${name} → ${label}`, given, label] as const))(
    '%s',
    async (_name, given, label) => {
      const listener = await listen({ secrets: given.secrets ?? [SECRET] });
      const answer = await deliver(listener.url, { body, headers: given.headers });
      expect(answer.status).toBe(200);
      expect(listener.events[0]?.verdict.label).toBe(label);
    },
  );

  it('with rejectInvalid, answers 401 for a bad signature and forwards nothing', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url], rejectInvalid: true });
    const bad = await deliver(listener.url, {
      body,
      headers: generateTestHeaders({ payload: body, secret: 'whsec_other' }),
    });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'bad_signature' } });
    const unsigned = await deliver(listener.url, { body });
    expect(unsigned.status).toBe(401);
    const ok = await deliver(listener.url, { body, secret: SECRET });
    expect(ok.status).toBe(200);
    await target.waitFor(1);
    expect(target.received).toHaveLength(1);
    expect(listener.events.map((e) => [e.verdict.label, e.status, e.forwards.length])).toEqual([
      ['bad signature', 401, 0],
      ['no signature', 401, 0],
      ['verified', 200, 1],
    ]);
  });

  it('without rejectInvalid, forwards a bad signature anyway and lets the app refuse it', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url] });
    const answer = await deliver(listener.url, {
      body,
      headers: generateTestHeaders({ payload: body, secret: 'whsec_other' }),
    });
    expect(answer.status).toBe(401);
    expect(answer.body).toBe('bad signature');
    expect(listener.events[0]?.verdict.label).toBe('bad signature');
  });
});

describe('limits and odd requests', () => {
  it('answers 413 to a body over 1 MiB, with or without Content-Length, and forwards nothing', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url] });
    const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect((await deliver(listener.url, { body: big, secret: SECRET })).status).toBe(413);
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 17; i++) controller.enqueue(new Uint8Array(64 * 1024));
        controller.close();
      },
    });
    const chunked = await fetch(listener.url, { method: 'POST', body: stream, duplex: 'half' });
    expect(chunked.status).toBe(413);
    const exactly = Buffer.concat([Buffer.from('"'), Buffer.alloc(1024 * 1024 - 2, 0x61), Buffer.from('"')]);
    expect((await deliver(listener.url, { body: exactly, secret: SECRET })).status).toBe(200);
    expect(target.received).toHaveLength(1);
  });

  it('forwards a body that is not JSON untouched, and answers GET for health checks', async () => {
    const target = await app({ secret: undefined });
    const listener = await listen({ forward: [target.url] });
    const answer = await deliver(listener.url, { body: 'not json \u00ff', secret: SECRET });
    expect(answer.status).toBe(200);
    expect(target.received[0]?.body.toString('utf8')).toBe('not json \u00ff');
    // The body names no type; X-V2K-Event (`test`, from generateTestHeaders) is not signed, so it is not used.
    expect(listener.events[0]).toMatchObject({ event: null, payload: null, summary: '', verdict: { ok: true } });
    expect((await fetch(listener.url)).status).toBe(200);
    expect((await fetch(listener.url, { method: 'PUT', body: 'x' })).status).toBe(405);
  });
  it('answers 500 and logs when handling a delivery fails inside the listener, then keeps serving and closes', async () => {
    const target = await app();
    const errors: string[] = [];
    let broken = true;
    const clock = () => {
      if (broken) throw new Error('the clock is broken');
      return Date.now();
    };
    const listener = await listen({
      forward: [target.url],
      now: clock,
      logger: { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) },
    });
    const failed = await deliver(listener.url, { secret: SECRET });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toMatchObject({ error: { code: 'listener_error' } });
    expect(errors).toEqual([expect.stringMatching(/^Internal error while handling POST \/: the clock is broken/)]);
    broken = false;
    expect((await deliver(listener.url, { secret: SECRET })).status).toBe(200);
    await listener.close(); // nothing left in flight from the failed delivery
    expect(listener.events).toHaveLength(1);
  });
});

describe('shutdown', () => {
  it('close() waits for a delivery in flight, and does not wait for ever on a sender stalled mid-body', async () => {
    const target = await app();
    const listener = await createListener({ port: 0, forward: [target.url], forwardTimeoutMs: 200 });
    const socket = connect(listener.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"event":',
    );
    const inFlight = deliver(listener.url, { secret: SECRET });
    await target.waitFor(1);
    const socketClosed = once(socket, 'close');
    await listener.close();
    expect((await inFlight).status).toBe(200);
    await socketClosed; // the listener hung up on the stalled sender
    expect(socket.destroyed).toBe(true);
  });
});

describe('recording', () => {
  it('appends one JSON line per delivery with headers, raw body and verdict', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'v2k-rec-')), 'deliveries.jsonl');
    const listener = await listen({ record: file });
    const body = bodyOf('royalty.claimed');
    await deliver(listener.url, { body, secret: SECRET });
    await deliver(listener.url, { body, secret: 'whsec_other' });
    await listener.close();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      body,
      encoding: 'utf8',
      method: 'POST',
      verdict: { ok: true, reason: 'verified' },
    });
    expect(lines[0].headers['x-v2k-signature']).toBe(sign(body, SECRET));
    expect(lines[1].verdict).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it.each([70_000, -1, 1.5, Number.NaN])('refuses port %d, at start', async (port) => {
    await expect(createListener({ port })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/port must be a whole number from 0 to 65535/),
    });
  });

  it('refuses a record file it cannot open, at start', async () => {
    await expect(createListener({ port: 0, record: '/nonexistent-dir/x.jsonl' })).rejects.toThrow(
      /Cannot open the record file/,
    );
  });
});
