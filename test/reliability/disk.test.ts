import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_CATALOG } from '../../src/core/events.js';
import { generateSecret, generateTestHeaders } from '../../src/core/signature.js';
import { startListen } from '../e2e/listen/spawn.js';
import { cli } from '../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../helpers/dispatcher.js';
import { startReceiver } from '../helpers/receiver.js';
import { call, readDatabase } from './support.js';
import { canMount, mountSmallDisk, type SmallDisk } from './tmpfs.js';

// Issue 16: a full disk, and a database directory deleted under a running dispatcher. The
// disk is a tmpfs of its own, filled and freed by the test (root only; skipped elsewhere).

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function disk(bytes: number): SmallDisk {
  const mounted = mountSmallDisk(bytes) as SmallDisk;
  cleanups.push(() => mounted.unmount());
  return mounted;
}

async function until<T>(
  what: string,
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
): Promise<T> {
  for (let waited = 0; waited < 15_000; waited += 25) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);

describe.skipIf(!canMount)('a full disk', () => {
  it('listen --record writes each record whole or not at all, resumes when space returns, and says how many were lost', async () => {
    const small = disk(256 * 1024);
    const file = join(small.dir, 'deliveries.jsonl');
    const secret = generateSecret();
    const listen = await startListen(['--record', file, '--secret', secret]);
    cleanups.push(() => listen.process.kill('SIGKILL'));
    let stderr = '';
    listen.process.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    let sent = 0;
    const deliver = async (padding: number): Promise<number> => {
      const payload = JSON.stringify({ ...EVENT_CATALOG['trade.completed'].sample, pad: 'p'.repeat(padding) });
      const res = await fetch(listen.url, {
        method: 'POST',
        headers: generateTestHeaders({ payload, secret, event: 'trade.completed' }),
        body: payload,
      });
      sent++;
      return res.status;
    };

    for (let i = 0; i < 2; i++) expect(await deliver(1_000)).toBe(200);
    await until('2 records', () => lines(file).length === 2);
    small.fill();
    // Deliveries still go through while nothing can be recorded.
    for (let i = 0; i < 6; i++) expect(await deliver(20_000)).toBe(200);
    await listen.waitForEvents(sent);
    await until('the write error', () => /Cannot write the record file .*ENOSPC/.test(stderr));
    const duringFull = lines(file);
    expect(duringFull.every((line) => JSON.parse(line) !== undefined)).toBe(true); // no half line, ever

    small.free();
    for (let i = 0; i < 2; i++) expect(await deliver(1_000)).toBe(200);
    const resumed = await until('the resume', () =>
      /Recording to .* resumed; (\d+) records? (?:was|were) lost/.exec(stderr),
    );
    await listen.stop();

    const recorded = lines(file).map((line) => JSON.parse(line) as { body: string });
    const lost = Number(resumed[1]);
    expect(lost).toBeGreaterThan(0);
    expect(recorded.length + lost).toBe(sent);
    expect(recorded.slice(-2).every((r) => r.body.includes('"pad"'))).toBe(true);
    console.log(
      `[disk] listen --record on a full disk: ${sent} deliveries, ${recorded.length} recorded whole, ${lost} lost and counted`,
    );

    // The file replays whole.
    const app = await startReceiver();
    cleanups.push(() => app.close());
    const replayed = await cli(['--json', 'replay', file, '--to', app.url, '--secret', secret]);
    expect(replayed.exitCode).toBe(0);
    expect(JSON.parse(String(replayed.stdout))).toMatchObject({ sent: recorded.length, failed: 0 });
  });

  it('dispatcher: 507 insufficient_storage while the disk is full, /healthz failing, and back to 202 when space returns; no acknowledged event lost', async () => {
    const small = disk(8 * 1024 * 1024);
    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const dispatcher = await startDispatcher({ dbPath: join(small.dir, 'dispatcher.db'), timeScale: 0.05 });
    cleanups.push(() => dispatcher.kill());
    const key = dispatcher.apiKey;
    expect(
      (await call(dispatcher.url, 'POST', '/api/webhooks', key, { url: receiver.url, events: ['*'] })).status,
    ).toBe(201);
    const accepted: string[] = [];
    const emit = async (padding: number) => {
      const data = { ...EVENT_CATALOG['trade.failed'].sample.data, pad: 'p'.repeat(padding) };
      const res = await call(dispatcher.url, 'POST', '/api/events', key, { event: 'trade.failed', data });
      if (res.status === 202) accepted.push(res.body.id as string);
      return res;
    };
    for (let i = 0; i < 3; i++) expect((await emit(100)).status).toBe(202);

    small.fill();
    let refused: Awaited<ReturnType<typeof emit>> | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const res = await emit(16_000);
      if (res.status !== 202) refused = res;
    }
    expect(refused?.status).toBe(507);
    expect(refused?.body.error.code).toBe('insufficient_storage');
    expect(refused?.body.error.message).toMatch(/disk .* is full/);
    const health = await call(dispatcher.url, 'GET', '/healthz', null);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, error: { code: 'insufficient_storage' } });
    const acceptedWhileFull = accepted.length - 3;

    small.free();
    await until('/healthz ok', async () => (await call(dispatcher.url, 'GET', '/healthz', null)).status === 200);
    expect((await emit(100)).status).toBe(202);
    await receiver.waitForCount(accepted.length);
    await stopQuietly(dispatcher);

    const stored = readDatabase(dispatcher.dbPath).events.map((e) => e.id);
    expect(stored.sort()).toEqual([...accepted].sort());
    const delivered = new Set(receiver.requests.map((r) => r.headers['x-v2k-event-id']));
    expect(accepted.every((id) => delivered.has(id))).toBe(true);
    console.log(
      `[disk] dispatcher on a full disk: ${acceptedWhileFull} more events fitted, then 507; ${accepted.length} acknowledged in all, all stored and delivered`,
    );
  });
});

describe('the database directory deleted while the dispatcher runs', () => {
  it('is detected: writes are refused with 503 instead of acknowledged into a deleted file, and /healthz fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'v2k-deleted-'));
    const dispatcher = await startDispatcher({ dbPath: join(dir, 'dispatcher.db') });
    cleanups.push(() => dispatcher.kill());
    const key = dispatcher.apiKey;
    expect(
      (await call(dispatcher.url, 'POST', '/api/webhooks', key, { url: 'http://127.0.0.1:9/', events: ['*'] })).status,
    ).toBe(201);
    const event = { event: 'trade.failed', data: EVENT_CATALOG['trade.failed'].sample.data };
    expect((await call(dispatcher.url, 'POST', '/api/events', key, event)).status).toBe(202);

    rmSync(dir, { recursive: true, force: true });
    for (const [method, path, body] of [
      ['POST', '/api/events', event],
      ['POST', '/api/webhooks', { url: 'http://127.0.0.1:9/', events: ['*'] }],
    ] as const) {
      const res = await call(dispatcher.url, method, path, key, body);
      expect(res.status, path).toBe(503);
      expect(res.body.error.code).toBe('database_deleted');
      expect(res.body.error.message).toMatch(/was deleted .*Restart the dispatcher/);
    }
    const health = await call(dispatcher.url, 'GET', '/healthz', null);
    expect(health.status).toBe(503);
    expect(health.body.error.code).toBe('database_deleted');
    await stopQuietly(dispatcher);
  });
});

async function stopQuietly(dispatcher: RunningDispatcher): Promise<void> {
  await dispatcher.stop();
  expect((await dispatcher.process).exitCode).toBe(0);
}
