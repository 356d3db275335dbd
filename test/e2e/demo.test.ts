import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/core/events.js';
import { BIN, cli } from '../helpers/cli.js';

// issue 9: the README's first command runs `demo`; here it runs as the built bin, off a TTY.
describe('v2k-webhooks demo', () => {
  it('runs the whole flow and exits 0: every event type verified by the listener and the app, and forwarded', async () => {
    const result = await cli(['--json', 'demo'], { timeout: 60_000 });
    expect(result.stderr).not.toMatch(/Unexpected error/);
    expect(result.exitCode).toBe(0);
    const lines = String(result.stdout)
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

    expect(lines[0]).toMatchObject({
      type: 'ready',
      // The whole URL, with the token the page's data needs (issue 16).
      monitoring: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/admin\/webhooks\?token=[\w-]{32}$/),
    });
    const events = lines.filter((l) => l.type === 'event') as Array<{
      event: string;
      verdict: { ok: boolean; reason: string };
      forwards: Array<{ status: number }>;
      attempt: number;
    }>;
    for (const type of EVENT_TYPES) {
      const seen = events.filter((e) => e.event === type && e.verdict.ok);
      expect(seen.length, type).toBeGreaterThan(0);
      expect(seen.at(-1)?.forwards[0]?.status, type).toBe(200);
    }
    // The flaky one: a 503 forwarded back, then attempt 2 answered 200.
    const flaky = events.filter((e) => e.event === 'trade.failed');
    expect(flaky.map((e) => [e.attempt, e.forwards[0]?.status])).toEqual([
      [1, 503],
      [2, 200],
    ]);
    // The forged one: a bad signature, the app answering 401.
    expect(events.some((e) => e.verdict.reason === 'bad_signature' && e.forwards[0]?.status === 401)).toBe(true);

    const summary = lines.at(-1) as {
      type: string;
      ok: boolean;
      retried: boolean;
      events: Array<{ event: string; listener: string; app: string; status: string }>;
    };
    expect(summary).toMatchObject({ type: 'summary', ok: true, retried: true });
    expect(summary.events.map((e) => [e.event, e.listener, e.app, e.status])).toEqual(
      EVENT_TYPES.map((type) => [type, 'verified', 'verified', 'succeeded']),
    );
  });

  it('prints a readable flow for people', async () => {
    const result = await cli(['demo'], { timeout: 60_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/monitoring\s+http:\/\/127\.0\.0\.1:\d+\/admin\/webhooks/);
    expect(result.stdout).toMatch(/trade\.failed .* #2\s+\[verified\]/);
    expect(result.stdout).toMatch(/Done in \d+(\.\d)?s/);
    expect(result.stdout).toMatch(/api key\s+v2k_dev_\S+/);
  });

  it('`demo | head` stops, cleans up its temporary directory and exits 0 (issue 17)', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'v2k-demo-tmp-'));
    const result = await execa('sh', ['-c', `node "${BIN}" demo | head -n 3`], {
      env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
      reject: false,
      timeout: 60_000,
    });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout).split('\n')).toHaveLength(3);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('--keep shows the API key and how to use it, and stops with Ctrl+C (exit 0)', async () => {
    const child = cli(['demo', '--keep'], { timeout: 60_000 }) as unknown as ResultPromise;
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/Press Ctrl\+C to stop/.test(stdout)) resolve();
      });
    });
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(stdout).toMatch(/export V2K_API_URL=http:\/\/127\.0\.0\.1:\d+ V2K_API_KEY=v2k_dev_\S+/);
  });
});
