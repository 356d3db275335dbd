import { describe, expect, it } from 'vitest';
import { sampleData, startHarness } from './setup.js';

// Issue 16, "numbers": each of these was answered 202 and delivered altered.
const JSON_HEADERS = { 'content-type': 'application/json' };

/** A trade.completed body with `extra` spliced into data as raw JSON text (JSON.stringify could not write these numbers). */
function body(extra: string): string {
  const data = JSON.stringify(sampleData('trade.completed'));
  return `{"event":"trade.completed","data":${data.slice(0, -1)},${extra}}}`;
}

describe('POST /api/events and numbers that do not survive the JSON round trip (SPEC §3)', () => {
  it.each([
    ['"price":12345678901234567890', 'data.price', '12345678901234567000'],
    ['"tiny":1e-400', 'data.tiny', 'delivered as 0'],
    ['"extra":{"big":1e400}', 'data.extra.big', 'delivered as null'],
    ['"list":[1,2,9007199254740993]', 'data.list[2]', '9007199254740992'],
  ])('refuses %s with 400 naming %s, and sends nothing', async (extra, field, shown) => {
    const h = await startHarness({ timeScale: 0.05 });
    const receiver = await h.receiver();
    await h.createWebhook(receiver.url);
    const res = await h.api('POST', '/api/events', undefined, { raw: body(extra), headers: JSON_HEADERS });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(`${field} is `);
    expect(res.body.error.message).toContain(shown);
    // Accepted nothing: the next event is the first the receiver sees.
    expect((await h.emit('trade.failed')).status).toBe(202);
    await receiver.waitForCount(1);
    expect(receiver.requests.map((r) => r.headers['x-v2k-event'])).toEqual(['trade.failed']);
  });

  it('accepts numbers that survive, and delivers them as sent', async () => {
    const h = await startHarness({ timeScale: 0.05 });
    const receiver = await h.receiver();
    await h.createWebhook(receiver.url);
    const extra = '"n":{"max":9007199254740992,"big":1e300,"small":5e-324,"plain":1.5,"sci":2.5e-7}';
    const res = await h.api('POST', '/api/events', undefined, { raw: body(extra), headers: JSON_HEADERS });
    expect(res.status).toBe(202);
    await receiver.waitForCount(1);
    const delivered = JSON.parse(receiver.requests[0]?.body.toString('utf8') ?? '{}') as { data: { n: unknown } };
    expect(delivered.data.n).toEqual({ max: 2 ** 53, big: 1e300, small: 5e-324, plain: 1.5, sci: 2.5e-7 });
  });
});
