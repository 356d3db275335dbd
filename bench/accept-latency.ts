import autocannon from 'autocannon';
import { EVENT_CATALOG } from '../dist/core/events.js';
import { startDispatcher } from '../test/helpers/dispatcher.js';
import { APP_SOURCE, nodeEval, spawnJson } from './processes.js';
import { row, type Row } from './stats.js';

/**
 * 6. accept latency: POST /api/events p50 and p99 at a steady 1,000 events per second, while the
 * dispatcher delivers them to a local app, against GET /healthz at the same rate on the same
 * dispatcher (the HTTP floor). No target: the figures are published.
 */
export async function measureAcceptLatency({ seconds }: { seconds: number }): Promise<Row[]> {
  const app = await spawnJson(nodeEval(APP_SOURCE));
  const dispatcher = await startDispatcher({ rateLimit: 0 });
  const headers = { authorization: `Bearer ${dispatcher.apiKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${dispatcher.url}/api/webhooks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: `http://127.0.0.1:${String(app.ready.port)}/`, events: ['*'] }),
  });
  if (created.status !== 201) throw new Error(`create webhook: ${created.status}`);
  const body = JSON.stringify({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });

  const run = (opts: Partial<autocannon.Options>) =>
    autocannon({ url: dispatcher.url, connections: 16, overallRate: 1000, duration: seconds, ...opts });
  const health = await run({ url: `${dispatcher.url}/healthz` });
  const accept = await run({ url: `${dispatcher.url}/api/events`, method: 'POST', headers, body });
  await Promise.all([dispatcher.stop(), app.stop()]);
  if (accept.non2xx > 0) throw new Error(`${accept.non2xx} POST /api/events were not answered 202`);

  const note = `${Math.round(accept.requests.average)} events/s sustained over ${seconds} s`;
  return [
    row({
      measure: 'accept latency: POST /api/events p50 at 1,000/s',
      ours: accept.latency.p50,
      baseline: health.latency.p50,
      baselineName: 'GET /healthz, same rate',
      unit: 'ms',
      target: '',
      note,
    }),
    row({
      measure: 'accept latency: POST /api/events p99 at 1,000/s',
      ours: accept.latency.p99,
      baseline: health.latency.p99,
      baselineName: 'GET /healthz, same rate',
      unit: 'ms',
      target: '',
    }),
  ];
}
