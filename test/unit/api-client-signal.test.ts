import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/core/api-client.js';
import { caught } from '../helpers/caught.js';

// The client's `signal` (the CLI's Ctrl+C): a call stops at once, whatever it was waiting on.
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A real server on port 0; `onRequest` is told of each request, which `answer` may leave unanswered. */
async function serve(
  answer: (res: import('node:http').ServerResponse, hit: number) => void,
  onRequest: () => void = () => undefined,
) {
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    hits++;
    onRequest();
    answer(res, hits);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

describe('createApiClient: signal', () => {
  it('cuts a request that gets no answer and rejects with "Interrupted." (exit 1), long before the timeout', async () => {
    const stop = new AbortController();
    const { url, hits } = await serve(
      () => undefined,
      () => stop.abort(),
    );
    const error = await caught(
      createApiClient({ baseUrl: url, apiKey: 'k', signal: stop.signal, timeoutMs: 60_000, retries: 2 }).listWebhooks(),
    );
    expect(error.message).toBe('Interrupted.');
    expect(error.code).toBe('interrupted');
    expect(error.exitCode).toBe(1);
    expect(error.hint).toContain(`GET ${url}/api/webhooks`);
    expect(hits()).toBe(1); // not retried
  });

  it('stops in the back-off between retries, and sends no further attempt', async () => {
    const stop = new AbortController();
    // A 503 (retried after a back-off of 60 s here); the signal fires while it waits.
    const { url, hits } = await serve((res) => {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"busy","message":"busy"}}');
      setTimeout(() => stop.abort(), 20);
    });
    const error = await caught(
      createApiClient({ baseUrl: url, signal: stop.signal, retries: 3, retryDelayMs: 60_000 }).getWebhook('wh_1'),
    );
    expect(error.code).toBe('interrupted');
    expect(hits()).toBe(1);
  });

  it('sends nothing once the signal has fired', async () => {
    const { url, hits } = await serve((res) => res.writeHead(200).end('[]'));
    const error = await caught(
      createApiClient({ baseUrl: url, signal: AbortSignal.abort() }).createWebhook({
        url: 'https://example.com',
        events: ['*'],
      }),
    );
    expect(error.code).toBe('interrupted');
    expect(error.hint).toMatch(/may still have carried it out/);
    expect(hits()).toBe(0);
  });

  it('a signal that never fires changes nothing, and a timeout is still a timeout', async () => {
    const never = new AbortController().signal;
    const ok = await serve((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    expect(await createApiClient({ baseUrl: ok.url, signal: never }).listWebhooks()).toEqual([]);
    const silent = await serve(() => undefined);
    const error = await caught(createApiClient({ baseUrl: silent.url, signal: never, timeoutMs: 100 }).listWebhooks());
    expect(error.code).toBe('timeout');
  });
});
