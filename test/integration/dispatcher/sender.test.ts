import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSender, type Sender } from '../../../src/dispatcher/sender.js';

/** The sender on its own against a real server on port 0: the answers a receiver can give. */
const closing: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.();
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(() => new Promise((resolve) => server.close(resolve)));
  closing.push(async () => server.closeAllConnections());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

function sender(timeoutMs: number): Sender {
  const stop = new AbortController();
  const created = createSender({ timeoutMs, connections: 2, signal: stop.signal });
  closing.push(async () => {
    stop.abort();
    await created.close();
  });
  return created;
}

const body = Buffer.from('{"event":"test"}');
const headers = { 'content-type': 'application/json' };

describe('sender', () => {
  it('records the final answer after a 103 Early Hints', async () => {
    const url = await serve((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(204).end();
    });
    await expect(sender(2_000).send({ url, headers, body })).resolves.toMatchObject({ statusCode: 204, error: null });
  });

  it('records no status for a receiver that sent only 103 and then nothing until the timeout', async () => {
    const url = await serve((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' }); // and never an answer
    });
    const result = await sender(200).send({ url, headers, body });
    expect(result).toMatchObject({ statusCode: null, error: 'timed out after 200ms', responseBody: null });
  });

  it('records a URL it cannot parse as a failed attempt instead of rejecting', async () => {
    const result = await sender(200).send({ url: 'http://[not-a-host/', headers, body });
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/^invalid URL/);
  });
});
