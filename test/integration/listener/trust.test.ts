import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTestHeaders } from '../../../src/core/signature.js';
import {
  createExpectations,
  createListener,
  parseExpectation,
  renderEvent,
  PLAIN,
} from '../../../src/listener/index.js';
import { app, bodyOf, deliver, deliverRaw, listen, SECRET } from './deliver.js';

/** A validly signed `test` delivery, re-sent with X-V2K-Event rewritten: neither signature covers that header. */
function forgedTest(secret = SECRET): { body: string; headers: Record<string, string> } {
  const body = bodyOf('test');
  return {
    body,
    headers: { ...generateTestHeaders({ payload: body, secret }), 'x-v2k-event': 'trade.completed' },
  };
}

describe('listen takes the event type from the signed body (issue 14)', () => {
  it('reports a forged X-V2K-Event as a header mismatch, routes and summarizes by the body, and records it', async () => {
    const trades = await app({ name: 'trades' });
    const tests = await app({ name: 'tests' });
    const record = join(mkdtempSync(join(tmpdir(), 'v2k-trust-')), 'deliveries.jsonl');
    const listener = await listen({ forward: [`trade.*=${trades.url}`, `test=${tests.url}`], record });

    const answer = await deliver(listener.url, forgedTest());
    expect(answer.status).toBe(200);
    const [event] = listener.events;
    expect(event).toMatchObject({
      event: 'test',
      summary: 'test event: This is a test webhook',
      verdict: {
        ok: false,
        reason: 'header_mismatch',
        label: 'header mismatch',
        signature: 'verified',
        headerEvent: 'trade.completed',
      },
    });
    expect(event?.verdict.message).toMatch(/X-V2K-Event says "trade.completed" but the signed body's event is "test"/);
    // Routed as what the body is: the `test` target got it, the trades target did not.
    expect(event?.forwards.map((f) => f.url)).toEqual([tests.url]);
    expect(trades.received).toHaveLength(0);
    expect(renderEvent(event!, PLAIN)[0]).toMatch(/ {2}test {2}.*\[header mismatch\] {2}test event: /);

    await listener.close();
    const [line] = readFileSync(record, 'utf8').trim().split('\n');
    expect(JSON.parse(line!)).toMatchObject({ verdict: { ok: false, reason: 'header_mismatch' } });
  });

  it('never counts a forged header for --expect, neither as the header type nor as the body type', async () => {
    const listener = await listen();
    await deliver(listener.url, forgedTest());
    const expectations = createExpectations([parseExpectation('trade.completed'), parseExpectation('test')]);
    for (const event of listener.events) expectations.record(event);
    expect(expectations.status().map((s) => s.seen)).toEqual([0, 0]);

    // The same body with its own header counts as a test, once.
    const body = bodyOf('test');
    await deliver(listener.url, { body, headers: generateTestHeaders({ payload: body, secret: SECRET }) });
    expectations.record(listener.events[1]!);
    expect(expectations.status().map((s) => s.seen)).toEqual([0, 1]);
  });

  it('answers 401 to a forged header with --reject-invalid, and forwards nothing', async () => {
    const target = await app();
    const listener = await listen({ forward: [target.url], rejectInvalid: true });
    const answer = await deliver(listener.url, forgedTest());
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'header_mismatch' } });
    expect(target.received).toHaveLength(0);
  });

  it.each([
    ['no secret', [], 'header mismatch, no secret', 'no_secret'],
    ['a bad signature', ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSa'], 'header mismatch, bad signature', 'bad_signature'],
  ])(
    'with %s, still shows the body type, and the mismatch beside the signature verdict',
    async (_n, secrets, label, signature) => {
      const target = await app({ secret: undefined });
      const listener = await listen({ secrets, forward: [`trade.*=${target.url}`] });
      await deliver(listener.url, forgedTest());
      expect(listener.events[0]).toMatchObject({
        event: 'test',
        verdict: { ok: false, reason: 'header_mismatch', label, signature },
        forwards: [],
      });
      expect(listener.events[0]?.verdict.message).toMatch(/The body is not verified either/);
      expect(target.received).toHaveLength(0);
    },
  );

  it('keeps the plain verdict when the header agrees or is absent', async () => {
    const listener = await listen();
    const body = bodyOf('alert.triggered');
    const headers = generateTestHeaders({ payload: body, secret: SECRET });
    await deliver(listener.url, { body, headers });
    const { 'x-v2k-event': _dropped, ...withoutEvent } = headers;
    await deliver(listener.url, { body, headers: withoutEvent });
    expect(listener.events.map((e) => [e.event, e.verdict.reason, e.verdict.label])).toEqual([
      ['alert.triggered', 'verified', 'verified'],
      ['alert.triggered', 'verified', 'verified'],
    ]);
  });

  it('clips a long forged header in the message and keeps control characters off the terminal', async () => {
    const listener = await listen();
    const body = bodyOf('test');
    // U+009B is CSI, the one-byte escape sequence opener; HTTP lets it through as obs-text.
    const claimed = `trade.\u009b2J${'x'.repeat(5000)}`;
    await deliverRaw(listener.url, body, {
      ...generateTestHeaders({ payload: body, secret: SECRET }),
      'x-v2k-event': claimed,
    });
    const { message, headerEvent } = listener.events[0]!.verdict;
    expect(headerEvent).toContain('\u009b2Jxxx'); // as Node read it: the UTF-8 bytes as latin1
    expect(message.length).toBeLessThan(400);
    expect(message).not.toContain('\u009b');
    expect(message).toContain('\\x9b2Jxxx');
  });
});

describe('listen refuses secrets anyone could sign with (issue 14)', () => {
  it.each(['', 'whsec_', 'whsec_!!!!'])(
    'createListener with %j rejects with SecretError before listening',
    async (secret) => {
      await expect(createListener({ port: 0, secrets: [SECRET, secret] })).rejects.toMatchObject({
        name: 'SecretError',
        code: 'invalid_secret',
        exitCode: 2,
      });
    },
  );

  it('addSecret refuses one too, and keeps verifying with the others', async () => {
    const listener = await listen();
    expect(() => listener.addSecret('whsec_')).toThrow(expect.objectContaining({ name: 'SecretError' }));
    await deliver(listener.url, { secret: SECRET });
    expect(listener.events[0]?.verdict.ok).toBe(true);
  });

  it('rejects a toleranceSeconds that is not above 0', async () => {
    await expect(
      createListener({ port: 0, secrets: [SECRET], toleranceSeconds: null as unknown as number }),
    ).rejects.toMatchObject({ code: 'invalid_tolerance', exitCode: 2 });
  });
});
