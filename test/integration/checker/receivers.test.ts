import { afterEach, describe, expect, it } from 'vitest';
import { checkReceiver, HEADER, type CheckReport, type CheckStatus } from '../../../src/index.js';
import { EVENT_TYPES } from '../../../src/core/events.js';
import { MAX_BODY_BYTES } from '../../../src/core/limits.js';
import { createGuideApp } from '../../fixtures/guide-express-receiver.js';
import { createRawBodyApp } from '../../helpers/express-receivers.js';
import { freePort, serve } from '../../helpers/serve.js';
import { startReceiver } from '../../helpers/receiver.js';

// issue 18: `check` against real receivers on port 0, each written the way people write them.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** Each check's status by id, for one readable assertion per receiver. */
function statuses(report: CheckReport): Record<string, CheckStatus> {
  return Object.fromEntries(report.results.map((r) => [r.id, r.status]));
}

const deliveries = (status: CheckStatus) => Object.fromEntries(EVENT_TYPES.map((e) => [`delivery:${e}`, status]));

describe('checkReceiver against real receivers', () => {
  it('passes a correct raw-body Express receiver on every line, and it processes each event once', async () => {
    const processed: Array<{ id: string; event: string }> = [];
    const app = await serve(createRawBodyApp(SECRET, processed));
    closers.push(() => app.close());
    const report = await checkReceiver({ url: `${app.origin}/webhooks/v2k`, secret: SECRET });

    expect(statuses(report)).toEqual({
      ...deliveries('pass'),
      'forged-signature': 'pass',
      'tampered-body': 'pass',
      'missing-signature': 'pass',
      'stale-timestamp': 'pass',
      'raw-body': 'pass',
      duplicate: 'pass',
      redirects: 'pass',
      'answer-size': 'pass',
    });
    expect(report).toMatchObject({ ok: true, counts: { pass: 15, warn: 0, fail: 0 }, requests: 14 });
    // 7 deliveries + the raw-body one + the duplicate once: forged, tampered, unsigned, stale did no work.
    expect(processed).toHaveLength(9);
    expect(new Set(processed.map((p) => p.id)).size).toBe(9);
  });

  it("fails the guide's own Express example: it verifies a re-serialized body", async () => {
    const handled: Array<{ event: string; data: unknown }> = [];
    const app = await serve(createGuideApp(SECRET, handled));
    closers.push(() => app.close());
    const report = await checkReceiver({ url: `${app.origin}/webhooks/v2k`, secret: SECRET });

    expect(statuses(report)).toEqual({
      ...deliveries('pass'),
      'forged-signature': 'pass',
      'tampered-body': 'pass',
      'missing-signature': 'warn', // Buffer.from(undefined) throws: a 500, not a 401
      'stale-timestamp': 'warn', // it reads no webhook-timestamp: no replay protection
      'raw-body': 'fail',
      duplicate: 'pass',
      redirects: 'pass',
      'answer-size': 'pass',
    });
    expect(report.ok).toBe(false);
    const rawBody = report.results.find((r) => r.id === 'raw-body');
    expect(rawBody?.explain).toMatch(/401 \("Invalid signature"\).*verifies a re-serialized body/);
    expect(rawBody?.snippet?.join('\n')).toContain("express.raw({ type: 'application/json' })");
    const missing = report.results.find((r) => r.id === 'missing-signature');
    expect(missing?.explain).toMatch(/with 500 .*not a 4xx/);
  });

  it('fails a receiver that verifies nothing: it accepts forged deliveries', async () => {
    const receiver = await startReceiver({ status: 200, body: 'ok' });
    closers.push(() => receiver.close());
    const report = await checkReceiver({ url: receiver.url, secret: SECRET });

    expect(statuses(report)).toMatchObject({
      ...deliveries('pass'),
      'forged-signature': 'fail',
      'tampered-body': 'fail',
      'missing-signature': 'fail',
      'stale-timestamp': 'warn',
      'raw-body': 'pass',
      duplicate: 'pass',
    });
    const forged = report.results.find((r) => r.id === 'forged-signature');
    expect(forged?.explain).toMatch(/^Your endpoint accepts forged deliveries/);
    expect(receiver.requests).toHaveLength(report.requests);
  });

  it('warns about a slow receiver and fails one that never answers within the timeout', async () => {
    // Thresholds injected, not real seconds: slow = over 100 ms; the receiver takes 150 ms.
    const slow = await startReceiver({ status: 200, delayMs: 150 });
    closers.push(() => slow.close());
    const slowReport = await checkReceiver({ url: slow.url, secret: SECRET, events: ['trade.completed'], slowMs: 100 });
    expect(statuses(slowReport)['delivery:trade.completed']).toBe('warn');
    expect(slowReport.results[0]?.explain).toMatch(/took \d+ms/);
    expect(slowReport.results[0]?.fix).toMatch(/Return 200 quickly/);

    // alert.triggered is held far past a 1 s timeout; everything else answers at once.
    const hanging = await startReceiver((request) =>
      request.headers[HEADER.event] === 'alert.triggered' ? { delayMs: 3_000 } : { status: 200 },
    );
    closers.push(() => hanging.close());
    const report = await checkReceiver({
      url: hanging.url,
      secret: SECRET,
      events: ['trade.completed', 'alert.triggered'],
      timeoutMs: 1_000,
    });
    const held = report.results.find((r) => r.id === 'delivery:alert.triggered');
    expect(held).toMatchObject({ status: 'fail', outcome: 'no complete answer within 1s' });
    expect(held?.explain).toMatch(/the check's timeout; the platform waits 10s/);
    expect(report.ok).toBe(false);
  });

  it('fails a receiver that redirects: the platform does not follow redirects', async () => {
    const receiver = await startReceiver({ redirect: 'https://elsewhere.example/hook' });
    closers.push(() => receiver.close());
    const report = await checkReceiver({ url: receiver.url, secret: SECRET, events: ['trade.completed'] });
    expect(statuses(report)).toMatchObject({
      'delivery:trade.completed': 'fail',
      'forged-signature': 'warn', // a redirect says nothing about verification
      redirects: 'fail',
    });
    expect(report.results[0]?.outcome).toBe('302 → https://elsewhere.example/hook');
    expect(report.results.find((r) => r.id === 'redirects')?.outcome).toBe('8 of 8 redirected');
    expect(receiver.requests).toHaveLength(8); // nothing followed the Location
  });

  it('fails a receiver that refuses a delivery it has seen (409) instead of answering 2xx again', async () => {
    const seen = new Set<string>();
    const receiver = await startReceiver((request) => {
      const id = String(request.headers[HEADER.webhookId]);
      if (seen.has(id)) return { status: 409, body: 'duplicate' };
      seen.add(id);
      return { status: 200 };
    });
    closers.push(() => receiver.close());
    const report = await checkReceiver({ url: receiver.url, secret: SECRET, events: ['trade.failed'] });
    const duplicate = report.results.find((r) => r.id === 'duplicate');
    expect(duplicate).toMatchObject({ status: 'fail', outcome: expect.stringMatching(/^200 in \d+ms, then 409 in/) });
    expect(duplicate?.explain).toMatch(/answered 409 \("duplicate"\) to the same one sent again/);
  });

  it('warns about answers over 1 MiB, reading no more than that', async () => {
    const huge = 'x'.repeat(MAX_BODY_BYTES * 2);
    const receiver = await startReceiver((request) =>
      request.headers[HEADER.event] === 'trade.completed' && request.index === 0 ? { body: huge } : { status: 200 },
    );
    closers.push(() => receiver.close());
    const report = await checkReceiver({ url: receiver.url, secret: SECRET, events: ['trade.completed'] });
    const size = report.results.find((r) => r.id === 'answer-size');
    expect(size).toMatchObject({ status: 'warn', outcome: '1 over 1 MiB' });
    expect(size?.answers[0]?.bytes).toBeGreaterThan(MAX_BODY_BYTES);
    expect(size?.answers[0]?.bytes).toBeLessThan(MAX_BODY_BYTES * 2);
    expect(report.results[0]?.status).toBe('pass'); // a big 200 is still a success
  });

  it('stops at once, with one failed line, when nothing listens at the URL', async () => {
    const port = await freePort();
    const report = await checkReceiver({ url: `http://127.0.0.1:${port}/hook`, secret: SECRET });
    expect(report).toMatchObject({ ok: false, requests: 1, counts: { pass: 0, warn: 0, fail: 1 } });
    expect(report.results[0]).toMatchObject({ id: 'reachable', outcome: 'connection refused' });
  });

  it('reports each result as it comes, and stops when its signal is aborted', async () => {
    const receiver = await startReceiver((request) => (request.index === 2 ? { delayMs: 3_000 } : { status: 200 }));
    closers.push(() => receiver.close());
    const stop = new AbortController();
    const seen: string[] = [];
    const run = checkReceiver({
      url: receiver.url,
      secret: SECRET,
      signal: stop.signal,
      onResult: (r) => seen.push(r.id),
    });
    await receiver.waitForCount(3);
    stop.abort(new Error('stopped by the test'));
    await expect(run).rejects.toThrow('stopped by the test');
    expect(seen).toEqual(['delivery:trade.completed', 'delivery:trade.failed']);
  });

  it('refuses a URL longer than a webhook URL may be (2048 characters)', async () => {
    const url = `https://example.com/${'a'.repeat(2048)}`;
    await expect(checkReceiver({ url, secret: SECRET })).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/at most 2048/),
    });
  });

  it.each([
    // The receiver's URL is one a webhook could be registered with: the API's rule (SPEC §3).
    [{ url: 'ftp://example.com/', secret: SECRET }, /receiver URL must use http or https, not ftp/],
    [{ url: 'example.com/hook', secret: SECRET }, /not an absolute URL/],
    [{ url: 'http://u:p@example.com/', secret: SECRET }, /credentials/],
    [{ url: 'http://127.0.0.1:1/', secret: ' ' }, /needs the secret/],
    [{ url: 'http://127.0.0.1:1/', secret: SECRET, events: [] }, /at least one event type/],
    [{ url: 'http://127.0.0.1:1/', secret: SECRET, timeoutMs: 60_000 }, /at most the platform's/],
  ])('refuses bad options without sending anything: %j', async (options, message) => {
    await expect(checkReceiver(options)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(message),
    });
  });
});
