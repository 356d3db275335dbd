import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, cli, tempHome } from '../../helpers/cli.js';
import { startDispatcher } from '../../helpers/dispatcher.js';
import { startReceiver } from '../../helpers/receiver.js';
import { sampleData, tempDb } from './setup.js';

// `v2k-webhooks dispatcher --chaos` (issue 18), the built CLI: the marks in its JSON and human
// log, and exit 2 with a message for a spec it cannot run.

const KEY = 'chaos_key';

async function api(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('dispatcher --chaos (the built CLI)', () => {
  it('prints the spec with its seed, and marks each attempt chaos touched in its --json lines', async () => {
    const receiver = await startReceiver();
    const d = await startDispatcher({
      timeScale: 0.05,
      userKeys: [`${KEY}:user_chaos`],
      extraArgs: ['--chaos', 'duplicate=1,delay=200ms-1s', '--chaos-seed', '7'],
    });
    try {
      expect(d.stderr()).toBe('');
      await api(d.url, '/api/webhooks', { url: receiver.url, events: ['*'] });
      for (let i = 0; i < 3; i++)
        await api(d.url, '/api/events', { event: 'trade.failed', data: sampleData('trade.failed') });
      await waitUntil(() => d.lines.length === 6, 'six attempt lines');
      const originals = d.lines.filter((line) => line.chaos !== 'duplicate');
      const duplicates = d.lines.filter((line) => line.chaos === 'duplicate');
      expect(originals).toHaveLength(3);
      for (const line of originals)
        expect(line).toMatchObject({ outcome: 'succeeded', chaos: expect.stringMatching(/^delayed \d+ms$/) });
      expect(duplicates.map((line) => line.deliveryId).sort()).toEqual(originals.map((line) => line.deliveryId).sort());
      expect(receiver.requests).toHaveLength(6);
    } finally {
      await d.stop();
      await receiver.close();
    }
  });

  it('says chaos mode is on at start, and marks the log lines a terminal shows', async () => {
    const receiver = await startReceiver();
    const home = tempHome();
    const child = execa(
      'node',
      [
        BIN,
        'dispatcher',
        '--port',
        '0',
        '--db',
        tempDb(),
        '--time-scale',
        '0.05',
        '--user-key',
        `${KEY}:user_chaos`,
        '--chaos',
        'duplicate=1,reorder=0.5,delay=0-1s,seed=18',
      ],
      {
        reject: false,
        stdin: 'ignore',
        buffer: false,
        env: { HOME: home, NO_COLOR: '1', PATH: process.env.PATH },
        extendEnv: false,
      },
    );
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    try {
      await waitUntil(() => lines.some((line) => line.startsWith('Monitoring page:')), 'the start lines');
      const url = /listening on (\S+)/.exec(lines.join('\n'))?.[1] as string;
      expect(lines.join('\n')).toContain('Chaos mode: duplicate=1,reorder=0.5,delay=0-1s,seed=18');
      expect(lines.join('\n')).toContain('Replay: --chaos duplicate=1,reorder=0.5,delay=0-1s,seed=18');
      await api(url, '/api/webhooks', { url: receiver.url, events: ['*'] });
      for (let i = 0; i < 4; i++)
        await api(url, '/api/events', { event: 'trade.failed', data: sampleData('trade.failed') });
      await waitUntil(
        () => lines.filter((line) => line.includes('[chaos: duplicate]')).length === 4,
        'four duplicates',
      );
      const log = lines.filter((line) => line.includes(' trade.failed '));
      expect(log.filter((line) => line.includes('duplicate answered 2xx  [chaos: duplicate]'))).toHaveLength(4);
      expect(log.some((line) => /attempt 1\/4 {2}succeeded {2}\[chaos: .*delayed \d+ms\]$/.test(line))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await child;
      await receiver.close();
    }
  });

  it.each([
    [['--chaos', 'dupliate=0.1'], /Unknown chaos "dupliate"\. Did you mean "duplicate"\?/],
    [['--chaos', 'reorder=2'], /reorder= takes a probability from 0 to 1/],
    [['--chaos', 'delay=0-30s'], /longer than the 10s attempt timeout.*at most 10s/],
    [['--chaos', 'delay=0-2sec'], /delay= takes durations from 1ms to 10s/],
    [['--chaos', 'duplicate=0'], /asks for nothing/],
    [['--chaos-seed', '3'], /--chaos-seed seeds --chaos, which is not given/],
    [['--chaos', 'duplicate=0.1,seed=1', '--chaos-seed', '2'], /Two chaos seeds/],
  ])('refuses %j with exit 2 and a message saying what to give', async (args, message) => {
    const result = await cli(['dispatcher', '--port', '0', '--db', tempDb(), ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});
