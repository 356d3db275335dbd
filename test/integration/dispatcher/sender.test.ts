import { describe, expect, it, onTestFinished } from 'vitest';
import { createSender, type Sender } from '../../../src/dispatcher/sender.js';
import { serveHook } from '../../helpers/serve.js';

/** The sender on its own against a real server on port 0: the answers a receiver can give. */
function sender(timeoutMs: number): Sender {
  const stop = new AbortController();
  const created = createSender({ timeoutMs, connections: 2, signal: stop.signal });
  onTestFinished(async () => {
    stop.abort();
    await created.close();
  });
  return created;
}

const body = Buffer.from('{"event":"test"}');
const headers = { 'content-type': 'application/json' };

describe('sender', () => {
  it('records the final answer after a 103 Early Hints', async () => {
    const url = await serveHook((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(204).end();
    });
    await expect(sender(2_000).send({ url, headers, body })).resolves.toMatchObject({ statusCode: 204, error: null });
  });

  it('records no status for a receiver that sent only 103 and then nothing until the timeout', async () => {
    const url = await serveHook((_req, res) => {
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
