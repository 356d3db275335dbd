import { describe, expect, it } from 'vitest';
import { startListen } from '../e2e/listen/spawn.js';
import { startDispatcher } from '../helpers/dispatcher.js';
import { heapProbe } from '../helpers/heap.js';
import { countStatuses, flood, peakRssDuring } from './flood.js';

// Issue 16, "memory": connections that each send a body just under the 1 MiB cap. Before, every
// body was held whole before anything was checked: the dispatcher went from 65 to 878 MB with
// 800 of them, `listen` from 61 to 468 MB with 400. The bound is the issue's, on purpose
// generous: a process that held the bodies would pass it several times over.
const MIB = 1024 * 1024;
const RSS_LIMIT = 250 * 1000 * 1000;
const BODY = MIB - 1;

describe('memory under a flood of large bodies', () => {
  it('dispatcher: 800 unauthenticated 1 MiB bodies are refused without being held', async () => {
    const dispatcher = await startDispatcher();
    try {
      const port = Number(new URL(dispatcher.url).port);
      const { result, base, peak } = await peakRssDuring(dispatcher.process.pid as number, () =>
        flood(port, { connections: 800, bodyBytes: BODY, path: '/api/events' }),
      );
      const counts = countStatuses(result);
      console.log(
        `[memory] dispatcher: 800 × ${BODY} bytes without a key → ${JSON.stringify(counts)}, RSS ${mb(base)} → peak ${mb(peak)} MB`,
      );
      // 401 (or cut off by the request timeout on a loaded machine), never held.
      expect(result.every((a) => a.status === 401 || a.status === 408 || a.status === null)).toBe(true);
      expect(counts['401']).toBeGreaterThan(400);
      expect(peak).toBeLessThan(RSS_LIMIT);
      expect((await fetch(`${dispatcher.url}/healthz`)).status).toBe(200);
    } finally {
      await dispatcher.stop();
    }
  }, 120_000);

  // A process of its own: after the flood above, garbage V8 has not yet collected (Node 24 keeps
  // more of it) would count against this one's peak.
  it('dispatcher: 400 1 MiB bodies with a key are held up to the budget, the rest turned away with 503, and none kept', async () => {
    const probe = heapProbe();
    const dispatcher = await startDispatcher({ env: probe.env });
    try {
      const port = Number(new URL(dispatcher.url).port);
      const pid = dispatcher.process.pid as number;
      const heldBefore = await probe.retained(pid);
      const { result, base, peak } = await peakRssDuring(pid, () =>
        flood(port, {
          connections: 400,
          bodyBytes: BODY,
          path: '/api/webhooks',
          headers: [`Authorization: Bearer ${dispatcher.apiKey}`],
        }),
      );
      const heldAfter = await probe.retained(pid);
      const counts = countStatuses(result);
      console.log(
        `[memory] dispatcher: 400 × ${BODY} bytes with a key → ${JSON.stringify(counts)}, RSS ${mb(base)} → peak ${mb(peak)} MB; ` +
          `held after a collection ${mb(heldBefore)} → ${mb(heldAfter)} MB`,
      );
      // The bodies are read up to the budget (and refused: they are not JSON); past it 503 with Retry-After.
      expect(result.every((a) => [400, 503, 408, null].includes(a.status))).toBe(true);
      expect(counts['400']).toBeGreaterThan(0);
      expect(counts['503']).toBeGreaterThan(0);
      expect(result.filter((a) => a.status === 503).every((a) => a.retryAfter === '1')).toBe(true);
      expect(peak).toBeLessThan(RSS_LIMIT);
      // Nothing of them is kept once they are answered: one body would be 1 MiB.
      expect(heldAfter - heldBefore).toBeLessThan(MIB);
      expect((await fetch(`${dispatcher.url}/healthz`)).status).toBe(200);
    } finally {
      await dispatcher.stop();
    }
  }, 120_000);

  it('listen: 400 1 MiB bodies are held up to one budget, the rest turned away with 503 and Retry-After', async () => {
    const listen = await startListen([]);
    try {
      const pid = listen.process.pid as number;
      const { result, base, peak } = await peakRssDuring(pid, () =>
        flood(listen.port, { connections: 400, bodyBytes: BODY, path: '/' }),
      );
      const counts = countStatuses(result);
      console.log(
        `[memory] listen: 400 × ${BODY} bytes → ${JSON.stringify(counts)}, RSS ${mb(base)} → peak ${mb(peak)} MB`,
      );
      expect(result.every((a) => [200, 503, 408, null].includes(a.status))).toBe(true);
      expect(counts['200']).toBeGreaterThan(0);
      expect(counts['503']).toBeGreaterThan(0);
      expect(result.filter((a) => a.status === 503).every((a) => a.retryAfter === '1')).toBe(true);
      expect(peak).toBeLessThan(RSS_LIMIT);
      expect((await fetch(listen.url)).status).toBe(200);
    } finally {
      await listen.stop();
    }
  }, 120_000);
});

const mb = (bytes: number): number => Math.round(bytes / 1e6);
