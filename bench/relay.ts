import autocannon from 'autocannon';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CATALOG } from '../dist/core/events.js';
import { generateSecret, generateTestHeaders } from '../dist/core/signature.js';
import { APP_SOURCE, BARE_RELAY_SOURCE, BIN, freePort, nodeEval, spawnJson, spawnToFile } from './processes.js';
import { median, row, type Row } from './stats.js';

interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  /** Answers by status code, and transport errors, to tell what went wrong when non2xx > 0. */
  detail: string;
}

async function load(url: string, headers: Record<string, string>, body: string, seconds: number): Promise<Load> {
  const result = await autocannon({ url, method: 'POST', headers, body, connections: 32, duration: seconds });
  const detail = `status ${JSON.stringify(result.statusCodeStats)}, ${result.errors} errors, ${result.timeouts} timeouts`;
  return {
    rps: result.requests.average,
    p99: result.latency.p99,
    non2xx: result.non2xx + result.errors + result.timeouts,
    detail,
  };
}

/**
 * 3. listen relay: events per second through `listen` (verifying, --json lines to a file,
 * forwarding to a local app) against a bare undici relay that neither verifies nor logs, both
 * under the same autocannon load (32 connections, loopback), alternated round by round.
 */
export async function measureRelay({ seconds, rounds }: { seconds: number; rounds: number }): Promise<Row[]> {
  const app = await spawnJson(nodeEval(APP_SOURCE));
  const appUrl = `http://127.0.0.1:${String(app.ready.port)}/`;
  const secret = generateSecret();
  const out = join(mkdtempSync(join(tmpdir(), 'v2k-bench-')), 'listen.jsonl');
  const port = await freePort();
  const listenUrl = `http://127.0.0.1:${port}/`;
  const listen = await spawnToFile(
    [BIN, 'listen', '--port', String(port), '--forward', appUrl, '--secret', secret, '--json'],
    out,
    listenUrl,
  );
  const bare = await spawnJson(nodeEval(BARE_RELAY_SOURCE), { env: { TARGET: appUrl } });

  const body = JSON.stringify(EVENT_CATALOG['trade.completed'].sample);
  const headers = generateTestHeaders({ payload: body, secret });
  const bareUrl = `http://127.0.0.1:${String(bare.ready.port)}/`;

  const ours: Load[] = [];
  const base: Load[] = [];
  try {
    await load(bareUrl, headers, body, 1); // warm both up
    await load(listenUrl, headers, body, 1);
    for (let i = 0; i < rounds; i++) {
      base.push(await load(bareUrl, headers, body, seconds));
      ours.push(await load(listenUrl, headers, body, seconds));
    }
  } finally {
    await Promise.all([listen.stop(), bare.stop(), app.stop()]);
  }
  const failures = ours.reduce((n, l) => n + l.non2xx, 0);
  const rps = row({
    measure: `listen relay: events/s (32 connections, median of ${rounds} × ${seconds} s)`,
    ours: median(ours.map((l) => l.rps)),
    baseline: median(base.map((l) => l.rps)),
    baselineName: 'bare undici relay',
    unit: 'req/s',
    target: '≥ 0.7×',
    check: (ratio) => ratio >= 0.7 && failures === 0,
    note:
      failures > 0
        ? `${failures} answers through listen were not 2xx (${ours.map((l) => l.detail).join('; ')})`
        : undefined,
  });
  const p99Ours = median(ours.map((l) => l.p99));
  const p99Base = median(base.map((l) => l.p99));
  const p99 = row({
    measure: 'listen relay: p99 latency',
    ours: p99Ours,
    baseline: p99Base,
    baselineName: 'bare undici relay',
    unit: 'ms',
    target: '≤ +3 ms',
    check: () => p99Ours - p99Base <= 3,
    note: `p99 is ${(p99Ours - p99Base).toFixed(1)} ms above the bare relay`,
  });
  return [rps, p99];
}
