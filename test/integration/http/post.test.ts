import { describe, expect, it, onTestFinished } from 'vitest';
import { createPoster, type PosterOptions } from '../../../src/http/post.js';
import { serveHook } from '../../helpers/serve.js';

// The shared poster (src/http/post.ts) on its own, against real servers on port 0: what `check`
// needs of it besides what the dispatcher and `listen` do (how much of an answer came, and what
// came before a failure).
function poster(options: Partial<PosterOptions> = {}) {
  const created = createPoster({ timeoutMs: 2_000, keepBytes: 1024, overflow: 'truncate', ...options });
  onTestFinished(() => created.close());
  return created;
}

const body = Buffer.from('{}');

describe('createPoster', () => {
  it('counts the bytes of an answer it cut off at keepBytes, and keeps only those', async () => {
    const url = await serveHook((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('x'.repeat(64 * 1024));
    });
    const answer = await poster({ keepBytes: 1024 }).post(url, {}, body);
    expect(answer.failure).toBeUndefined();
    expect(answer.body.length).toBe(1024);
    expect(answer.bytes).toBeGreaterThan(1024);
    expect(answer.bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('counts a whole small answer exactly', async () => {
    const url = await serveHook((_req, res) => res.writeHead(201).end('created'));
    await expect(poster().post(url, {}, body)).resolves.toMatchObject({ status: 201, bytes: 7, failure: undefined });
  });

  it('keeps the status, headers and first bytes of an answer that broke off', async () => {
    const url = await serveHook((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-seen': 'yes' });
      res.write('partial answer');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const answer = await poster().post(url, {}, body);
    expect(answer).toMatchObject({ status: 200, failure: 'network', headers: { 'x-seen': 'yes' } });
    expect(answer.body.toString()).toBe('partial answer');
  });

  it('keeps what came of an answer that did not end within the deadline', async () => {
    const url = await serveHook((_req, res) => {
      res.writeHead(200);
      res.write('slow');
    });
    const answer = await poster({ timeoutMs: 200 }).post(url, {}, body);
    expect(answer).toMatchObject({ status: 200, failure: 'timeout', bytes: 4 });
    expect(answer.body.toString()).toBe('slow');
  });

  it("keeps none of an answer over keepBytes with overflow 'fail'", async () => {
    const url = await serveHook((_req, res) => res.writeHead(200).end('x'.repeat(4096)));
    const answer = await poster({ overflow: 'fail' }).post(url, {}, body);
    expect(answer).toMatchObject({ status: 200, failure: 'too_large' });
    expect(answer.body.length).toBe(0);
  });
  it('stop() ends every exchange in flight, whichever settled before, and none after', async () => {
    let hold = true;
    const url = await serveHook((req, res) => {
      if (req.headers['x-quick'] === '1' || !hold) res.writeHead(200).end('ok');
      // the others hang until stopped
    });
    const p = poster({ timeoutMs: 30_000 });
    const hanging = Array.from({ length: 5 }, () => p.post(url, {}, body));
    await expect(p.post(url, { 'x-quick': '1' }, body)).resolves.toMatchObject({ status: 200, failure: undefined });
    await new Promise((resolve) => setTimeout(resolve, 50));
    p.stop();
    const answers = await Promise.all(hanging);
    expect(answers.map((a) => a.failure)).toEqual(['stopped', 'stopped', 'stopped', 'stopped', 'stopped']);
    hold = false;
    p.stop(); // nothing in flight: a no-op
    await expect(p.post(url, {}, body)).resolves.toMatchObject({ status: 200, failure: undefined });
  });
});
