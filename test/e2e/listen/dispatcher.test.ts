import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../../src/core/api-types.js';
import { createApiClient, type ApiClient } from '../../../src/core/api-client.js';
import { EVENT_CATALOG, EVENT_TYPES, type EventType } from '../../../src/core/events.js';
import { startApp, type SampleApp } from '../../helpers/app.js';
import { cli } from '../../helpers/cli.js';
import { startDispatcher, type RunningDispatcher } from '../../helpers/dispatcher.js';
import { startListen, type RunningListen } from './spawn.js';

// Real dispatcher → real `listen` process → real app. Time-dependent rules run under --time-scale.
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

async function dispatcher(
  options: Parameters<typeof startDispatcher>[0] = {},
): Promise<{ d: RunningDispatcher; api: ApiClient }> {
  const d = await startDispatcher(options);
  cleanup.push(() => d.stop());
  return { d, api: createApiClient({ baseUrl: d.url, apiKey: d.apiKey }) };
}

async function app(
  name: string,
  mode?: Parameters<typeof startApp>[0] extends infer O ? (O extends { mode?: infer M } ? M : never) : never,
): Promise<SampleApp> {
  const started = await startApp({ name, mode });
  cleanup.push(() => started.stop());
  return started;
}

async function listen(d: RunningDispatcher, args: string[]): Promise<RunningListen> {
  const running = await startListen(['--api-url', d.url, ...args], { V2K_API_KEY: d.apiKey });
  cleanup.push(() => running.stop());
  return running;
}

/**
 * The delivery once the dispatcher has recorded its last attempt: the listener answers (and
 * reports) before the dispatcher has read that answer and committed it.
 */
async function settled(api: ApiClient, hookId: string, done: (d: Delivery) => boolean = (d) => d.status !== 'pending') {
  for (let i = 0; i < 200; i++) {
    const [delivery] = await api.listDeliveries(hookId);
    if (delivery && done(delivery)) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`the delivery of ${hookId} did not settle`);
}

function emit(api: ApiClient, event: EventType) {
  return api.emitEvent({ event, data: EVENT_CATALOG[event].sample.data });
}

type Event = {
  event: string;
  deliveryId: string;
  attempt: number;
  status: number;
  verdict: { label: string };
  forwards: Array<{ url: string; status: number | null }>;
};

describe('listen with the real dispatcher', () => {
  it('--register: events flow dispatcher → listen → apps, routed by pattern, byte-identical and verified by the apps; the webhook is deleted on SIGTERM', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 });
    const trades = await app('trades');
    const rest = await app('rest');
    const file = join(mkdtempSync(join(tmpdir(), 'v2k-rec-')), 'rec.jsonl');
    const running = await listen(d, [
      '--register',
      '--print-secret',
      '--record',
      file,
      '--forward',
      `trade.*=${trades.url}trades`,
      '--forward',
      rest.url,
    ]);

    const { webhook, secret } = running.ready as {
      webhook: { id: string; url: string; events: string[] };
      secret: string;
    };
    expect(secret).toMatch(/^whsec_/);
    expect(webhook).toMatchObject({ url: running.url, events: ['*'] });
    expect((await api.listWebhooks()).map((w) => w.id)).toEqual([webhook.id]);
    trades.setSecret(secret);
    rest.setSecret(secret);

    for (const type of EVENT_TYPES) await emit(api, type);
    const events = (await running.waitForEvents(EVENT_TYPES.length)) as unknown as Event[];
    await rest.waitFor(EVENT_TYPES.length);

    expect(events.map((e) => e.verdict.label)).toEqual(EVENT_TYPES.map(() => 'verified'));
    expect(events.every((e) => e.status === 200)).toBe(true);
    expect(trades.received.map((r) => [r.path, r.event]).sort()).toEqual([
      ['/trades', 'trade.completed'],
      ['/trades', 'trade.failed'],
    ]);
    expect(rest.received.map((r) => r.event).sort()).toEqual([...EVENT_TYPES].sort());
    expect([...trades.received, ...rest.received].every((r) => r.verified === true)).toBe(true);
    // The bytes the listener got (recorded raw) are the bytes the app got. The record file is
    // written through a stream: its last lines may still be on their way when the apps have it all.
    const recordedLines = async (): Promise<string[]> => {
      for (let i = 0; ; i++) {
        const lines = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        if (lines.length >= EVENT_TYPES.length || i === 200) return lines;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    const recorded = (await recordedLines()).map(
      (l) => JSON.parse(l) as { body: string; headers: Record<string, string> },
    );
    for (const r of rest.received) {
      const same = recorded.find((line) => line.headers['x-v2k-delivery'] === r.headers['x-v2k-delivery']);
      expect(same && Buffer.from(same.body, 'utf8').equals(r.body)).toBe(true);
      expect(r.headers['user-agent']).toMatch(/^V2K-Webhooks\//);
    }

    const { exitCode, stderr } = await running.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(stderr).toContain(`Deleted webhook ${webhook.id}`);
    expect(await api.listWebhooks()).toEqual([]);
  });

  it('a bad signature gets its verdict; with --reject-invalid the dispatcher sees 401 and the app gets nothing', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 });
    const target = await app('app');
    const running = await listen(d, [
      '--secret',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      '--reject-invalid',
      '--forward',
      target.url,
    ]);
    const hook = await api.createWebhook({ url: running.url, events: ['alert.triggered'] });
    await emit(api, 'alert.triggered');
    const [event] = (await running.waitForEvents(1)) as unknown as Event[];
    expect(event).toMatchObject({
      event: 'alert.triggered',
      verdict: { label: 'bad signature' },
      status: 401,
      forwards: [],
    });
    const delivery = await settled(api, hook.id, (d) => d.attempts.length >= 1);
    expect(delivery?.attempts[0]?.statusCode).toBe(401);
    expect(target.received).toHaveLength(0);
  });

  it('app down: the dispatcher gets 502, and its retry reaches the app once it is back', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 }); // retries 0.2 s, 0.4 s, 0.8 s apart
    const target = await app('app');
    await target.stop();
    const running = await listen(d, ['--register', '--events', 'trade.completed', '--forward', target.url]);
    const hookId = (running.ready.webhook as { id: string }).id;

    await emit(api, 'trade.completed');
    const [first] = (await running.waitForEvents(1)) as unknown as Event[];
    expect(first).toMatchObject({ attempt: 1, status: 502, forwards: [{ status: null }] });
    await target.start();
    await target.waitFor(1);
    const events = (await running.waitForEvents(2)) as unknown as Event[];
    const last = events[events.length - 1] as Event;
    expect(last).toMatchObject({ deliveryId: first?.deliveryId, status: 200 });
    expect(last.attempt).toBeGreaterThan(1);
    const delivery = await settled(api, hookId);
    expect(delivery?.status).toBe('succeeded');
    expect(delivery?.attempts[0]?.statusCode).toBe(502);
  });

  it('app slow: the dispatcher gets 504 from the listener before its own timeout', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 }); // the dispatcher waits 1 s; the listener 150 ms
    const target = await app('slow', { kind: 'hang' });
    const running = await listen(d, ['--register', '--forward', target.url, '--forward-timeout', '150ms']);
    const hookId = (running.ready.webhook as { id: string }).id;
    await emit(api, 'portfolio.updated');
    const [first] = (await running.waitForEvents(1)) as unknown as Event[];
    expect(first?.status).toBe(504);
    target.setMode({ kind: 'answer', status: 200 });
    await running.waitForEvents(2);
    const delivery = await settled(api, hookId, (d) => d.attempts.length >= 2);
    expect(delivery?.attempts[0]?.statusCode).toBe(504);
    expect(JSON.parse(delivery?.attempts[0]?.responseBody ?? '{}')).toMatchObject({ error: { code: 'app_timeout' } });
  });

  it('--expect in CI: exits 0 once the events arrived, deleting its webhook; exits 1 at the timeout', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 });
    const met = await listen(d, [
      '--register',
      '--expect',
      'trade.completed:2',
      '--expect',
      'royalty.claimed',
      '--timeout',
      '20s',
    ]);
    await emit(api, 'trade.completed');
    await emit(api, 'royalty.claimed');
    await emit(api, 'trade.completed');
    const done = await met.exited();
    expect(done.exitCode).toBe(0);
    expect(await api.listWebhooks()).toEqual([]);

    const unmet = await listen(d, ['--register', '--expect', 'user.kyc.approved', '--timeout', '500ms']);
    await emit(api, 'user.kyc.rejected');
    const failed = await unmet.exited();
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/user\.kyc\.approved: 0 of 1/);
    expect(await api.listWebhooks()).toEqual([]);
  });

  it('200 deliveries from the dispatcher are all forwarded and answered', async () => {
    // Unscaled: the dispatcher's 10 s timeout, so a loaded CI machine cannot turn slow answers into failures.
    const { d, api } = await dispatcher({ rateLimit: 0 });
    const target = await app('app');
    const running = await listen(d, ['--register', '--print-secret', '--forward', target.url]);
    target.setSecret(running.ready.secret as string);
    await Promise.all(Array.from({ length: 200 }, () => emit(api, 'trade.completed')));
    await target.waitFor(200, 30_000);
    const events = (await running.waitForEvents(200, 30_000)) as unknown as Event[];
    const answered = events.filter((e) => e.status === 200 && e.verdict.label === 'verified');
    expect(new Set(answered.map((e) => e.deliveryId)).size).toBe(200);
    expect(new Set(target.received.map((r) => r.headers['x-v2k-delivery'])).size).toBe(200);
    expect(target.received.every((r) => r.verified)).toBe(true);
  });

  it('--print-secret in human mode prints the secret alone on the first stdout line; --timeout alone stops with exit 0', async () => {
    const { d, api } = await dispatcher({ timeScale: 0.1 });
    const result = await cli(
      [
        '--api-url',
        d.url,
        'listen',
        '--port',
        '0',
        '--register',
        '--print-secret',
        '--events',
        'trade.failed',
        '--timeout',
        '300ms',
      ],
      {
        env: { V2K_API_KEY: d.apiKey },
      },
    );
    expect(result.exitCode).toBe(0);
    expect(String(result.stdout)).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(result.stderr).toMatch(/Registered webhook wh_\w+ .* for trade\.failed/);
    expect(await api.listWebhooks()).toEqual([]);
  });

  it('says which webhook to delete when the delete fails', async () => {
    const { d } = await dispatcher({ timeScale: 0.1 });
    const running = await listen(d, ['--register']);
    const hookId = (running.ready.webhook as { id: string }).id;
    await d.stop();
    const { exitCode, stderr } = await running.stop('SIGTERM');
    expect(exitCode).toBe(1);
    expect(stderr).toContain(`v2k-webhooks delete ${hookId}`);
  });
});
