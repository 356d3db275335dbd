import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sampleData, startHarness } from './setup.js';

interface Case {
  name: string;
  method: string;
  /** `:id` / `:dlv` are replaced by a real webhook and delivery of the caller. */
  path: string;
  body?: unknown;
  raw?: string | Buffer;
  contentType?: string | null;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

const trade = sampleData('trade.completed');
const hook = { url: 'https://example.com/hook', events: ['*'] };
const MIB = 1024 * 1024;

const CASES: Case[] = [
  // POST /api/webhooks: bodies
  { name: 'broken JSON', method: 'POST', path: '/api/webhooks', raw: '{"url": ', status: 400, code: 'invalid_json' },
  {
    name: 'trailing comma',
    method: 'POST',
    path: '/api/webhooks',
    raw: '{"url": "https://a.io", "events": ["*"],}',
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'BOM before JSON',
    method: 'POST',
    path: '/api/webhooks',
    raw: '\uFEFF{}',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'empty body', method: 'POST', path: '/api/webhooks', raw: '', status: 400, code: 'invalid_json' },
  { name: 'null body', method: 'POST', path: '/api/webhooks', raw: 'null', status: 400, code: 'validation_failed' },
  { name: 'array body', method: 'POST', path: '/api/webhooks', body: [hook], status: 400, code: 'validation_failed' },
  {
    name: 'string body',
    method: 'POST',
    path: '/api/webhooks',
    body: 'https://a.io',
    status: 400,
    code: 'validation_failed',
  },
  { name: 'number body', method: 'POST', path: '/api/webhooks', raw: '42', status: 400, code: 'validation_failed' },
  { name: 'empty object', method: 'POST', path: '/api/webhooks', body: {}, status: 400, code: 'validation_failed' },
  {
    name: 'url missing',
    method: 'POST',
    path: '/api/webhooks',
    body: { events: ['*'] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url a number',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: 42 },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url empty',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: '' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url not a URL',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: 'not a url' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url relative',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: '/webhooks' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url ftp',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: 'ftp://example.com/' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url javascript:',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: 'javascript:alert(1)' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url with credentials',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: 'https://u:p@example.com/' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'url too long',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, url: `https://example.com/${'a'.repeat(2100)}` },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'events missing',
    method: 'POST',
    path: '/api/webhooks',
    body: { url: hook.url },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'events empty',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: [] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'events a string',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: 'trade.completed' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown event',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: ['trade.complete'] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'event a number',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: [42] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'event null',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: [null] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'test is not subscribable',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, events: ['test'] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'description a number',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, description: 42 },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'description too long',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, description: 'd'.repeat(600) },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown field',
    method: 'POST',
    path: '/api/webhooks',
    body: { ...hook, secret: 'whsec_mine' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'text/plain',
    method: 'POST',
    path: '/api/webhooks',
    raw: JSON.stringify(hook),
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'no content type',
    method: 'POST',
    path: '/api/webhooks',
    raw: JSON.stringify(hook),
    contentType: null,
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form body',
    method: 'POST',
    path: '/api/webhooks',
    raw: 'url=https://a.io&events=*',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'body over 1 MiB',
    method: 'POST',
    path: '/api/webhooks',
    raw: `{"url":"https://a.io","events":["*"],"description":"${'x'.repeat(MIB)}"}`,
    status: 413,
    code: 'payload_too_large',
  },
  // PATCH
  {
    name: 'patch nothing',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    body: {},
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'patch isActive a string',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    body: { isActive: 'yes' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'patch bad url',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    body: { url: 'example.com' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'patch empty events',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    body: { events: [] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'patch the id',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    body: { id: 'wh_mine' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'patch broken JSON',
    method: 'PATCH',
    path: '/api/webhooks/:id',
    raw: '{isActive:true}',
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'patch unknown id',
    method: 'PATCH',
    path: '/api/webhooks/wh_000000000000000000000000',
    body: { isActive: true },
    status: 404,
    code: 'not_found',
  },
  // ids and queries
  { name: 'unknown webhook id', method: 'GET', path: '/api/webhooks/wh_nope', status: 404, code: 'not_found' },
  { name: 'id with bad escape', method: 'GET', path: '/api/webhooks/%E0%A4%A', status: 404, code: 'not_found' },
  { name: 'id with SQL', method: 'GET', path: "/api/webhooks/'%20OR%201=1--", status: 404, code: 'not_found' },
  { name: 'delete unknown', method: 'DELETE', path: '/api/webhooks/wh_nope', status: 404, code: 'not_found' },
  { name: 'test unknown', method: 'POST', path: '/api/webhooks/wh_nope/test', status: 404, code: 'not_found' },
  {
    name: 'rotate unknown',
    method: 'POST',
    path: '/api/webhooks/wh_nope/rotate-secret',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'unknown delivery',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries/dlv_nope',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'redeliver unknown',
    method: 'POST',
    path: '/api/webhooks/:id/deliveries/dlv_nope/redeliver',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'limit 0',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries?limit=0',
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'limit text',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries?limit=ten',
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'limit huge',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries?limit=100000',
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'limit negative',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries?limit=-1',
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'unknown status',
    method: 'GET',
    path: '/api/webhooks/:id/deliveries?status=done',
    status: 400,
    code: 'validation_failed',
  },
  { name: 'unknown route', method: 'GET', path: '/api/nothing', status: 404, code: 'not_found' },
  {
    name: 'method not allowed',
    method: 'PUT',
    path: '/api/webhooks',
    body: hook,
    status: 405,
    code: 'method_not_allowed',
  },
  // POST /api/events
  {
    name: 'unknown event type',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.exploded', data: trade },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'event a number',
    method: 'POST',
    path: '/api/events',
    body: { event: 42, data: trade },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'event missing',
    method: 'POST',
    path: '/api/events',
    body: { data: trade },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'data missing',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'data an array',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed', data: [trade] },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'data a string',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed', data: 'x' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'required field missing',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed', data: { ...trade, tradeId: undefined } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'amount a string',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed', data: { ...trade, amount: 'a lot' } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'type not BUY/SELL',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.completed', data: { ...trade, type: 'HOLD' } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'tracks not an array',
    method: 'POST',
    path: '/api/events',
    body: { event: 'royalty.claimed', data: { amount: 1, tracks: 'x' } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'track amount a string',
    method: 'POST',
    path: '/api/events',
    body: { event: 'royalty.claimed', data: { amount: 1, tracks: [{ trackId: 't', amount: '1' }] } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'verifiedAt not a date',
    method: 'POST',
    path: '/api/events',
    body: { event: 'user.kyc.approved', data: { verifiedAt: 'yesterday' } },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'extra top-level field',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.failed', data: sampleData('trade.failed'), id: 'evt_mine' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'empty Idempotency-Key',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.failed', data: sampleData('trade.failed') },
    headers: { 'idempotency-key': ' ' },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'long Idempotency-Key',
    method: 'POST',
    path: '/api/events',
    body: { event: 'trade.failed', data: sampleData('trade.failed') },
    headers: { 'idempotency-key': 'k'.repeat(300) },
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'data nested too deeply',
    method: 'POST',
    path: '/api/events',
    raw: `{"event":"trade.failed","data":{"tradeId":"t","reason":"r","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`,
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'events as text',
    method: 'POST',
    path: '/api/events',
    raw: '{"event":"trade.failed"}',
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'events over 1 MiB',
    method: 'POST',
    path: '/api/events',
    raw: Buffer.alloc(MIB + 1, 0x20),
    status: 413,
    code: 'payload_too_large',
  },
];

describe('malformed requests: a 4xx with the error body, and the server keeps serving', () => {
  it(`answers each of ${CASES.length} bad requests with its 4xx`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    const h = await startHarness();
    const receiver = await h.receiver();
    const webhook = await h.createWebhook(receiver.url);

    for (const c of CASES) {
      const path = c.path.replace(':id', webhook.id);
      const headers: Record<string, string> = { ...c.headers };
      let raw = c.raw;
      if (raw === undefined && c.body !== undefined) raw = JSON.stringify(c.body);
      if (c.contentType !== null && raw !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
      const res = await h.api(c.method, path, undefined, { headers, raw });
      expect(res.status, c.name).toBe(c.status);
      expect(res.body, c.name).toEqual({ error: { code: c.code, message: expect.any(String) } });
      expect(res.body.error.message.length, c.name).toBeGreaterThan(10);
    }

    // Still serving, and none of that created anything.
    expect((await h.api('GET', '/healthz')).status).toBe(200);
    expect((await h.api('GET', '/api/webhooks')).body.data).toHaveLength(1);
    const ok = await h.emit('trade.completed');
    expect(ok.status).toBe(202);
    await receiver.waitForCount(1);
  });

  it('names the field in validation messages', async () => {
    const h = await startHarness();
    const bad = await h.api('POST', '/api/webhooks', {
      url: 'https://example.com',
      events: ['trade.completed', 'nope'],
    });
    expect(bad.body.error.message).toMatch(/events\[1\]/);
    const missing = await h.emit('trade.completed', { price: 'cheap' });
    expect(missing.body.error.message).toMatch(/data\.price/);
  });

  it('survives garbage on the socket and a body that stops halfway', async () => {
    const h = await startHarness();
    const { port } = new URL(h.dispatcher.url);
    const { connect } = await import('node:net');
    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    await new Promise<void>((resolve) => {
      const req = request(`${h.dispatcher.url}/api/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json', 'content-length': '1000' },
      });
      req.on('error', () => resolve());
      req.write('{"url":');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 50);
    });
    expect((await h.api('GET', '/healthz')).body).toEqual({ ok: true });
    expect((await h.api('GET', '/api/webhooks')).body.data).toEqual([]);
  });

  it('refuses a header sent twice (in any case) with duplicate_header, and routes escaped, dotted and query paths as before', async () => {
    const h = await startHarness();
    const { port } = new URL(h.dispatcher.url);
    const { connect } = await import('node:net');
    const event = JSON.stringify({ event: 'trade.failed', data: sampleData('trade.failed') });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON answer, asserted on below
    const raw = (path: string, headers: Array<[string, string]>, body = ''): Promise<{ status: number; body: any }> =>
      new Promise((resolve, reject) => {
        const lines = [
          `POST ${path} HTTP/1.1`,
          'Host: 127.0.0.1',
          'Connection: close',
          `Content-Length: ${Buffer.byteLength(body)}`,
        ];
        for (const [name, value] of headers) lines.push(`${name}: ${value}`);
        let answer = '';
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`));
        socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head = '', text = ''] = answer.split('\r\n\r\n');
          resolve({ status: Number(head.split(' ')[1]), body: text ? JSON.parse(text) : undefined });
        });
      });
    const auth: [string, string] = ['Authorization', `Bearer ${h.key}`];
    const json: [string, string] = ['Content-Type', 'application/json'];
    const twice: Array<[string, Array<[string, string]>]> = [
      ['authorization', [auth, ['authorization', `Bearer ${h.key}`], json]],
      ['content-type', [auth, json, ['CONTENT-TYPE', 'application/json']]],
      ['idempotency-key', [auth, json, ['Idempotency-Key', 'k1'], ['idempotency-key', 'k2']]],
      ['authorization', [auth, json, json, auth]], // two headers twice: named in a fixed order
    ];
    for (const [name, headers] of twice) {
      const res = await raw('/api/events', headers, event);
      expect(res.status, name).toBe(400);
      expect(res.body.error, name).toEqual({
        code: 'duplicate_header',
        message: `The ${name} header was sent more than once; send it once.`,
      });
    }
    // Paths that are not plain still go through URL parsing: dot segments, escapes, a query, a trailing slash.
    for (const path of ['/api/events/', '/api/webhooks/../events', '/api/events?x=1']) {
      expect((await raw(path, [auth, json], event)).status, path).toBe(202);
    }
    for (const path of ['//api/events', '/api/%65vents'])
      expect((await raw(path, [auth, json], event)).status, path).toBe(404);
  });
});
