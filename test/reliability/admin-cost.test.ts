import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startDispatcher } from '../helpers/dispatcher.js';
import { call, pool } from './support.js';

// Issue 16, "admin page cost": one /admin/api/overview over 46k attempts took ~100 ms of
// event-loop time, so ten polls queued made /healthz wait 846 ms. The figures are now kept
// incrementally. The bound below is the 20 ms for the median /healthz, and a generous
// 250 ms for the slowest one on a shared, loaded machine (before: ~850 ms).
const ATTEMPTS = 46_000;
const WEBHOOKS = 10;

/** Fills a stopped dispatcher's database with ATTEMPTS attempts over WEBHOOKS webhooks, as a busy run would have. */
function seed(dbPath: string): void {
  const db = new Database(dbPath);
  try {
    const hooks = db.prepare('SELECT id FROM webhooks').pluck().all() as string[];
    const start = Date.now() - 3_600_000;
    const event = db.prepare('INSERT INTO events (id, user_id, type, body, created_at) VALUES (?, ?, ?, ?, ?)');
    const delivery = db.prepare(
      'INSERT INTO deliveries (id, webhook_id, event_id, status, attempt_count, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const attempt = db.prepare(
      'INSERT INTO attempts (delivery_id, webhook_id, number, at, status_code, duration_ms, error, response_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    db.transaction(() => {
      for (let n = 1, made = 0; made < ATTEMPTS; n++) {
        const webhook = hooks[n % hooks.length] as string;
        const failing = n % 7 === 0;
        const count = failing ? 4 : n % 3 === 0 ? 2 : 1;
        event.run(`evt_seed${n}`, 'user_dev', 'trade.completed', Buffer.from('{}'), start + n);
        delivery.run(
          `dlv_seed${n}`,
          webhook,
          `evt_seed${n}`,
          failing ? 'failed' : 'succeeded',
          count,
          start + n,
          start + n,
        );
        for (let a = 1; a <= count; a++, made++) {
          const ok = !failing && a === count;
          attempt.run(
            `dlv_seed${n}`,
            webhook,
            a,
            start + n,
            ok ? 200 : 500,
            (n * 7 + a) % 300,
            ok ? null : 'HTTP 500',
            'ok',
          );
        }
      }
    })();
  } finally {
    db.close();
  }
}

describe('the monitoring page under a large history', () => {
  it(`keeps /healthz prompt while ten pages poll the overview of ${ATTEMPTS} attempts`, async () => {
    const first = await startDispatcher();
    for (let i = 0; i < WEBHOOKS; i++)
      await call(first.url, 'POST', '/api/webhooks', first.apiKey, { url: `http://127.0.0.1:9/${i}`, events: ['*'] });
    await first.stop();
    seed(first.dbPath);

    const dispatcher = await startDispatcher({ dbPath: first.dbPath });
    try {
      const overview = `/admin/api/overview?token=${new URL(dispatcher.adminUrl).searchParams.get('token')}`;
      const latencies: number[] = [];
      let polling = true;
      const pages = pool(Array.from({ length: 10 }), 10, async () => {
        // Each page polls ten times as often as the real one (every 2 s).
        while (polling) {
          expect((await call(dispatcher.url, 'GET', overview, null)).status).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      });
      const deadline = Date.now() + 3_000;
      while (Date.now() < deadline) {
        const started = performance.now();
        expect((await call(dispatcher.url, 'GET', '/healthz', null)).status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      polling = false;
      await pages;

      const totals = (await call(dispatcher.url, 'GET', overview, null)).body.totals;
      expect(totals.deliveries).toBeGreaterThan(ATTEMPTS / 2);
      latencies.sort((a, b) => a - b);
      const median = latencies[Math.floor(latencies.length / 2)] as number;
      const slowest = latencies.at(-1) as number;
      console.log(
        `[admin] /healthz while 10 pages poll ${ATTEMPTS} attempts: median ${median.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms over ${latencies.length} calls`,
      );
      expect(median).toBeLessThan(20);
      expect(slowest).toBeLessThan(250);
    } finally {
      await dispatcher.stop();
    }
  }, 60_000);
});
