import { Pool } from 'undici';
import { EVENT_CATALOG } from '../dist/core/events.js';
import { startDispatcher } from '../test/helpers/dispatcher.js';
import { HANGING_APP_SOURCE, nodeEval, rssBytes, spawnJson } from './processes.js';
import { row, type Row } from './stats.js';

const MB = 1024 * 1024;

/**
 * 5. dispatcher memory: RSS with `pending` pending deliveries. The receiver accepts and never
 * answers and the rate limit is on, so almost every delivery waits in SQLite; --time-scale 100
 * stretches the 10 s timeout so no attempt fails (and no auto-disable cancels them) meanwhile.
 */
export async function measureDispatcherMemory({ pending }: { pending: number }): Promise<Row[]> {
  const receiver = await spawnJson(nodeEval(HANGING_APP_SOURCE));
  const dispatcher = await startDispatcher({ timeScale: 100 });
  const pid = dispatcher.process.pid as number;
  const idle = await rssBytes(pid);
  const api = new Pool(dispatcher.url, { connections: 16 });
  const headers = { authorization: `Bearer ${dispatcher.apiKey}`, 'content-type': 'application/json' };
  const created = await api.request({
    path: '/api/webhooks',
    method: 'POST',
    headers,
    body: JSON.stringify({ url: `http://127.0.0.1:${String(receiver.ready.port)}/`, events: ['*'] }),
  });
  await created.body.dump();
  const body = JSON.stringify({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });

  let next = 0;
  let peak = idle;
  const sampler = setInterval(() => void rssBytes(pid).then((rss) => (peak = Math.max(peak, rss))), 200);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < pending) {
        next++;
        const res = await api.request({ path: '/api/events', method: 'POST', headers, body });
        await res.body.dump();
        if (res.statusCode !== 202) throw new Error(`POST /api/events answered ${res.statusCode}`);
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rss = await rssBytes(pid);
  clearInterval(sampler);
  peak = Math.max(peak, rss);
  await api.close();
  await Promise.all([dispatcher.stop(), receiver.stop()]);
  return [
    row({
      measure: `dispatcher: RSS with ${pending.toLocaleString('en-US')} pending deliveries`,
      ours: rss / MB,
      baseline: idle / MB,
      baselineName: 'same dispatcher, idle at start',
      unit: 'MB',
      target: '≤ 200 MB',
      check: () => peak / MB <= 200,
      note: `peak RSS while accepting: ${(peak / MB).toFixed(1)} MB`,
    }),
  ];
}
