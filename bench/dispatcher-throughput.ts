import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { EVENT_CATALOG } from '../dist/core/events.js';
import { APP_SOURCE, BIN, freePort, nodeEval, spawnJson, spawnToFile } from './processes.js';
import { row, type Row } from './stats.js';

const CONCURRENCY = 64;

/** CPU time (user + system) a process has used so far, in microseconds, from /proc (Linux); NaN elsewhere. */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

/** POSTs `count` requests with `parallel` in flight; resolves when all were answered. */
async function post(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  body: string,
  count: number,
  parallel: number,
  expect: number,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const res = await pool.request({ path, method: 'POST', headers, body });
        await res.body.dump();
        if (res.statusCode !== expect) throw new Error(`POST ${path} answered ${res.statusCode}`);
      }
    }),
  );
}

/**
 * 4. dispatcher throughput: `events` events to one webhook with --rate-limit 0, from the first
 * POST until the receiver has every delivery, against a plain undici sender with no store that
 * POSTs the same bodies to the same receiver at the same concurrency (64).
 */
export async function measureDispatcherThroughput({ events }: { events: number }): Promise<Row[]> {
  const payload = JSON.stringify({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });

  // Baseline: the plain sender.
  const plainReceiver = await spawnJson(nodeEval(APP_SOURCE), { env: { EXPECT: String(events) } });
  const plain = new Pool(`http://127.0.0.1:${String(plainReceiver.ready.port)}`, { connections: CONCURRENCY });
  const plainStart = performance.timeOrigin + performance.now();
  const plainDone = plainReceiver.next((line) => line.done === true);
  await post(plain, '/', { 'content-type': 'application/json' }, payload, events, CONCURRENCY, 200);
  const plainSeconds = ((await plainDone).at as number) / 1000 - plainStart / 1000;
  await plain.close();
  await plainReceiver.stop();

  // Ours: accept through the API, store, sign and deliver. The dispatcher's log (a JSON line per
  // attempt) goes to a file, as listen's does in the relay bench: parsing it here would take CPU
  // from the two processes measured on a 2-core machine. Its lines are counted after the run.
  const receiver = await spawnJson(nodeEval(APP_SOURCE), { env: { EXPECT: String(events) } });
  const dir = mkdtempSync(join(tmpdir(), 'v2k-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const apiKey = 'v2k_bench_key';
  const dispatcher = await spawnToFile(
    [
      BIN,
      'dispatcher',
      '--port',
      String(port),
      '--json',
      '--db',
      join(dir, 'dispatcher.db'),
      '--rate-limit',
      '0',
      '--concurrency',
      String(CONCURRENCY),
      '--user-key',
      `${apiKey}:user_bench`,
    ],
    join(dir, 'dispatcher.jsonl'),
    `${url}/healthz`,
  );
  const api = new Pool(url, { connections: 32 });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const created = await api.request({
    path: '/api/webhooks',
    method: 'POST',
    headers,
    body: JSON.stringify({ url: `http://127.0.0.1:${String(receiver.ready.port)}/`, events: ['*'] }),
  });
  await created.body.dump();
  const done = receiver.next((line) => line.done === true);
  const cpuBefore = cpuMicros(dispatcher.process.pid);
  const start = performance.timeOrigin + performance.now();
  await post(api, '/api/events', headers, payload, events, 32, 202);
  const acceptSeconds = (performance.timeOrigin + performance.now() - start) / 1000;
  const seconds = ((await done).at as number) / 1000 - start / 1000;
  const cpuPerEvent = (cpuMicros(dispatcher.process.pid) - cpuBefore) / events;
  await api.close();
  await Promise.all([dispatcher.stop(), receiver.stop()]);
  const logged = readFileSync(join(dir, 'dispatcher.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{"type":"attempt"')).length;
  rmSync(dir, { recursive: true, force: true });
  if (logged < events) throw new Error(`the dispatcher logged ${logged} attempts for ${events} events`);

  return [
    row({
      measure: `dispatcher: ${events.toLocaleString('en-US')} events → delivered (rate limit 0, concurrency ${CONCURRENCY})`,
      ours: events / seconds,
      baseline: events / plainSeconds,
      baselineName: 'plain undici sender, no store',
      unit: 'deliveries/s',
      target: '≥ 0.5×',
      check: (ratio) => ratio >= 0.5,
      note: `events accepted at ${Math.round(events / acceptSeconds)} events/s while delivering; all ${events} delivered in ${seconds.toFixed(2)} s; dispatcher CPU ${Math.round(cpuPerEvent)} µs per event (/proc, user + system)`,
    }),
  ];
}
