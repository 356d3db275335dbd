import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/core/api-client.js';
import { ApiError, UsageError } from '../../src/core/errors.js';
import { caught } from '../helpers/caught.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: Seen, res: ServerResponse, hit: number) => void;

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A real HTTP server on port 0 that records every request and answers with `handler`. */
async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      handler(entry, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const hook = {
  id: 'wh_1',
  url: 'https://example.com/h',
  events: ['*'],
  description: null,
  isActive: true,
  disabledReason: null,
  createdAt: '',
  updatedAt: '',
};

describe('createApiClient: requests', () => {
  it('sends the bearer key, the user agent and a JSON body', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 201, { ...hook, secret: 'whsec_x' }));
    const api = createApiClient({ baseUrl: url, apiKey: 'k_123', userAgent: 'ua-test' });
    const created = await api.createWebhook({ url: 'https://example.com/h', events: ['trade.completed'] });
    expect(created.secret).toBe('whsec_x');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/webhooks' });
    expect(seen[0]?.headers).toMatchObject({
      authorization: 'Bearer k_123',
      'user-agent': 'ua-test',
      'content-type': 'application/json',
    });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ url: 'https://example.com/h', events: ['trade.completed'] });
  });

  it.each([
    ['{"data": [...]}', { data: [hook] }],
    ['a bare array', [hook]],
  ])('lists accept %s', async (_name, answer) => {
    const { url } = await serve((_req, res) => json(res, 200, answer));
    const api = createApiClient({ baseUrl: url, apiKey: 'k' });
    expect(await api.listWebhooks()).toEqual([hook]);
  });

  it('rejects a list answer that is neither shape', async () => {
    const { url } = await serve((_req, res) => json(res, 200, { items: [] }));
    const error = await caught(createApiClient({ baseUrl: url }).listWebhooks());
    expect(error.code).toBe('bad_response');
  });

  it('builds paths, encodes ids and passes the deliveries query', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, { data: [] }));
    const api = createApiClient({ baseUrl: `${url}/`, apiKey: 'k' });
    await api.listDeliveries('wh_1', { status: 'failed', limit: 5 });
    await api.listDeliveries('wh/../x');
    expect(seen.map((s) => s.url)).toEqual([
      '/api/webhooks/wh_1/deliveries?status=failed&limit=5',
      '/api/webhooks/wh%2F..%2Fx/deliveries',
    ]);
  });

  it('keeps a path prefix of the base URL', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, []));
    await createApiClient({ baseUrl: `${url}/v2k` }).listWebhooks();
    expect(seen[0]?.url).toBe('/v2k/api/webhooks');
  });

  it('returns undefined for a 204 and sends the idempotency key', async () => {
    const { url, seen } = await serve((req, res) =>
      req.method === 'DELETE' ? res.writeHead(204).end() : json(res, 202, { id: 'evt_1', deliveries: 2 }),
    );
    const api = createApiClient({ baseUrl: url });
    await expect(api.deleteWebhook('wh_1')).resolves.toBeUndefined();
    await expect(api.emitEvent({ event: 'trade.failed', data: {} }, { idempotencyKey: 'idem-1' })).resolves.toEqual({
      id: 'evt_1',
      deliveries: 2,
    });
    expect(seen[1]?.headers['idempotency-key']).toBe('idem-1');
  });

  it.each([['http://'], ['ftp://example.com'], ['example.com'], ['https://user:pw@example.com']])(
    'refuses the base URL %s',
    (baseUrl) => {
      expect(() => createApiClient({ baseUrl })).toThrow(UsageError);
    },
  );
});

describe('createApiClient: retries', () => {
  it('retries a GET after a 5xx and succeeds', async () => {
    const { url, seen } = await serve((_req, res, hit) =>
      hit < 3 ? json(res, 503, { error: { code: 'busy', message: 'busy' } }) : json(res, 200, [hook]),
    );
    const api = createApiClient({ baseUrl: url, retries: 2, retryDelayMs: 1 });
    expect(await api.listWebhooks()).toEqual([hook]);
    expect(seen).toHaveLength(3);
  });

  it('gives up after the retries with the last ApiError', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 500, { error: { code: 'internal', message: 'boom' } }));
    const error = await caught(createApiClient({ baseUrl: url, retries: 1, retryDelayMs: 1 }).getWebhook('wh_1'));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(500);
    expect(seen).toHaveLength(2);
  });

  it.each([
    ['a POST', (api: ReturnType<typeof createApiClient>) => api.testWebhook('wh_1')],
    ['a PATCH', (api: ReturnType<typeof createApiClient>) => api.updateWebhook('wh_1', { isActive: false })],
    [
      'an event without an idempotency key',
      (api: ReturnType<typeof createApiClient>) => api.emitEvent({ event: 'trade.failed', data: {} }),
    ],
  ])('never retries %s', async (_name, call) => {
    const { url, seen } = await serve((_req, res) =>
      json(res, 502, { error: { code: 'bad_gateway', message: 'down' } }),
    );
    const error = await caught(call(createApiClient({ baseUrl: url, retries: 3, retryDelayMs: 1 })));
    expect((error as ApiError).status).toBe(502);
    expect(seen).toHaveLength(1);
  });

  it('retries a POST given an Idempotency-Key header in any case', async () => {
    const { url, seen } = await serve((_req, res, hit) =>
      hit === 1 ? json(res, 503, {}) : json(res, 202, { deliveryId: 'dlv_1' }),
    );
    const api = createApiClient({ baseUrl: url, retryDelayMs: 1 });
    await api.request('POST', '/api/webhooks/wh_1/test', { headers: { 'Idempotency-Key': 'k2' } });
    expect(seen).toHaveLength(2);
  });

  it('does not retry a GET that timed out (it already waited the whole timeout)', async () => {
    const { url, seen } = await serve(() => undefined);
    const error = await caught(
      createApiClient({ baseUrl: url, timeoutMs: 100, retries: 2, retryDelayMs: 1 }).listWebhooks(),
    );
    expect(error.code).toBe('timeout');
    expect(seen).toHaveLength(1);
  });

  it('retries an event sent with an idempotency key', async () => {
    const { url, seen } = await serve((_req, res, hit) =>
      hit === 1 ? json(res, 503, {}) : json(res, 202, { id: 'evt_1', deliveries: 0 }),
    );
    const api = createApiClient({ baseUrl: url, retryDelayMs: 1 });
    await api.emitEvent({ event: 'trade.failed', data: {} }, { idempotencyKey: 'k1' });
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['k1', 'k1']);
  });

  it('retries a GET after a reset connection, but not a POST', async () => {
    const { url, seen } = await serve((_req, res, hit) => (hit === 1 ? res.socket?.destroy() : json(res, 200, [hook])));
    expect(await createApiClient({ baseUrl: url, retryDelayMs: 1 }).listWebhooks()).toEqual([hook]);
    expect(seen).toHaveLength(2);

    const post = await serve((_req, res) => res.socket?.destroy());
    const error = await caught(createApiClient({ baseUrl: post.url, retryDelayMs: 1 }).testWebhook('wh_1'));
    expect(error.code).toBe('network_error');
    expect(post.seen).toHaveLength(1);
  });

  it('times out a request that gets no answer', async () => {
    const { url } = await serve(() => undefined);
    const error = await caught(createApiClient({ baseUrl: url, timeoutMs: 100, retries: 0 }).listWebhooks());
    expect(error.code).toBe('timeout');
    expect(error.message).toContain('within 100ms');
  });
});

describe('createApiClient: errors that say what to do', () => {
  it('names the URL of a refused connection and suggests a dispatcher for a local one', async () => {
    const { url } = await serve(() => undefined);
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
    const error = await caught(createApiClient({ baseUrl: url, retryDelayMs: 1 }).listWebhooks());
    expect(error.code).toBe('connection_refused');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(url);
    expect(error.hint).toContain('v2k-webhooks dispatcher');
  });

  it.each([
    [
      401,
      { error: { code: 'unauthorized', message: 'unknown key' } },
      3,
      /key was rejected/,
      /v2k-webhooks login.*V2K_API_KEY/,
    ],
    [404, { error: { code: 'not_found', message: 'no such webhook' } }, 1, /wh_missing/, /v2k-webhooks list/],
    [409, { error: { code: 'limit_reached', message: 'You have 10 webhooks' } }, 1, /at most 10 webhooks/, /delete/],
    [
      409,
      { error: { code: 'webhook_disabled', message: 'disabled' } },
      1,
      /webhook_disabled/,
      /update wh_missing --enable/,
    ],
    [
      400,
      { error: { code: 'validation_failed', message: 'url must be http(s)' } },
      1,
      /url must be http\(s\).*validation_failed/,
      undefined,
    ],
  ])('HTTP %i → ApiError, exit %i', async (status, body, exitCode, message, hint) => {
    const { url } = await serve((_req, res) => json(res, status, body));
    const error = await caught(createApiClient({ baseUrl: url }).testWebhook('wh_missing'));
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).body).toEqual(body);
    expect(error.code).toBe(body.error.code);
    expect(error.exitCode).toBe(exitCode);
    expect(error.message).toMatch(message);
    if (hint) expect(error.hint).toMatch(hint);
  });

  it('keeps a non-JSON error body as text', async () => {
    const { url } = await serve((_req, res) =>
      res.writeHead(418, { 'content-type': 'text/html' }).end('<h1>teapot</h1>'),
    );
    const error = (await caught(createApiClient({ baseUrl: url }).listWebhooks())) as ApiError;
    expect(error.status).toBe(418);
    expect(error.body).toBe('<h1>teapot</h1>');
    expect(error.message).toContain('HTTP 418');
  });

  it('reports a 2xx that is not JSON (a URL that is not the API)', async () => {
    const { url } = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>shop</html>'),
    );
    const error = await caught(createApiClient({ baseUrl: url }).getWebhook('wh_1'));
    expect(error.code).toBe('bad_response');
    expect(error.hint).toContain('--api-url');
  });
});
