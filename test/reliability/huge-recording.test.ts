import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/core/json-line.js';
import { BIN, cli, tempHome } from '../helpers/cli.js';
import { rssOf } from './support.js';

// Issue 16, "replay": a 600 MB recording failed with "Invalid string length" and a 300 MB one
// took about 1 GB, because the file was read whole. It is now read a line at a time.

const MIB = 1024 * 1024;
const closing: Array<() => unknown> = [];
afterEach(async () => {
  while (closing.length > 0) await closing.pop()?.();
});

/** A receiver that only counts (a test helper that kept 600 MB of bodies would be the problem itself). */
async function countingApp(): Promise<{ url: string; count: () => number }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closing.push(() => new Promise((resolve) => server.close(resolve)));
  closing.push(() => server.closeAllConnections());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, count: () => count };
}

function record(body: string): string {
  return `${toJsonLine({
    receivedAt: new Date().toISOString(),
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/json', 'x-v2k-event': 'test' },
    body,
    encoding: 'utf8',
    verdict: { ok: true, reason: 'verified' },
  })}\n`;
}

describe('replay reads a recording a line at a time', () => {
  it('sends records while the file is still being written (a FIFO), and a 600 MB recording with bounded memory', async () => {
    const app = await countingApp();
    const fifo = join(mkdtempSync(join(tmpdir(), 'v2k-replay-')), 'recording.jsonl');
    execFileSync('mkfifo', [fifo]);
    const home = tempHome();
    const child = execa('node', [BIN, '--json', 'replay', fifo, '--to', app.url], {
      reject: false,
      env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1', PATH: process.env.PATH },
      extendEnv: false,
    });
    closing.push(() => child.kill('SIGKILL'));
    const writer = createWriteStream(fifo);
    const write = async (text: string): Promise<void> => {
      if (!writer.write(text)) await once(writer, 'drain');
    };

    // The first records arrive at the app while the file is still open and unfinished.
    const small = record(JSON.stringify({ event: 'test', data: { n: 1 } }));
    for (let i = 0; i < 3; i++) await write(small);
    for (let waited = 0; app.count() < 3 && waited < 15_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(app.count()).toBe(3);

    // Then 600 MB more, one 1 MiB body per line, sampling the replay process's memory.
    const big = record(JSON.stringify({ event: 'test', pad: 'p'.repeat(MIB - 40) }));
    const lines = Math.ceil((600 * MIB) / big.length);
    let peak = 0;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(child.pid as number));
      } catch {
        // exited
      }
    }, 50);
    try {
      for (let i = 0; i < lines; i++) await write(big);
      writer.end();
      const result = await child;
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(JSON.parse(String(result.stdout))).toMatchObject({ sent: 3 + lines, failed: 0 });
    } finally {
      clearInterval(sampler);
    }
    expect(app.count()).toBe(3 + lines);
    console.log(
      `[replay] ${Math.round((lines * big.length) / MIB)} MiB in ${lines} records through a FIFO: all sent, replay's RSS peaked at ${Math.round(peak / MIB)} MiB`,
    );
    expect(peak).toBeLessThan(250 * MIB);
  }, 180_000);

  it('skips a cut-off last line with a warning, and still refuses a bad line in the middle', async () => {
    const app = await countingApp();
    const dir = mkdtempSync(join(tmpdir(), 'v2k-replay-'));
    const whole = record(JSON.stringify({ event: 'test', data: {} }));
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, whole + whole + whole.slice(0, 60));
    const result = await cli(['replay', cut, '--to', app.url]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stderr)).toMatch(/last line of .*cut\.jsonl \(line 3, 60 bytes\) is cut off.*skipped/);
    expect(app.count()).toBe(2);

    const middle = join(dir, 'middle.jsonl');
    writeFileSync(middle, `${whole}not json\n${whole}`);
    const refused = await cli(['replay', middle, '--to', app.url]);
    expect(refused.exitCode).toBe(2);
    expect(String(refused.stderr)).toMatch(/Line 2 of .*middle\.jsonl is not JSON/);
  });
});
