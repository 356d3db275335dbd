// Throughput of the dispatcher on this machine: events accepted per second and deliveries per
// second to a local receiver. Runs the BUILT CLI as a separate process (as a user would), with
// --rate-limit 0. Usage: npm run build && npx tsx bench/dispatcher.ts [events=5000] [parallel=32]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDispatcher } from '../test/helpers/dispatcher.js';
import { EVENT_CATALOG } from '../src/core/events.js';

const EVENTS = Number(process.argv[2] ?? 5_000);
const PARALLEL = Number(process.argv[3] ?? 32);

let received = 0;
let firstAt = 0;
let lastAt = 0;
let onReceived: () => void = () => undefined;
/** While set, answers wait for it: the dispatcher's in-flight slots fill and a backlog builds up in SQLite. */
let gate: Promise<void> | undefined;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    void (gate ?? Promise.resolve()).then(() => {
      const now = performance.now();
      if (received === 0) firstAt = now;
      lastAt = now;
      received++;
      res.end('ok');
      onReceived();
    });
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < EVENTS) {
        next++;
        const res = await fetch(url, { method: 'POST', headers, body });
        if (res.status !== 202) throw new Error(`POST /api/events answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return EVENTS / ((performance.now() - started) / 1000);
}

const body = JSON.stringify({ event: 'trade.completed', data: EVENT_CATALOG['trade.completed'].sample.data });

// 1. Acceptance alone: no webhook, so nothing is delivered meanwhile.
{
  const d = await startDispatcher({ rateLimit: 0 });
  const headers = { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' };
  const rate = await post(`${d.url}/api/events`, headers, body);
  console.log(`accepted (no webhook):            ${rate.toFixed(0)} events/s  (${EVENTS} events, ${PARALLEL} in parallel)`);
  await d.stop();
}

// 2. Acceptance while delivering, then deliveries per second to the local receiver.
{
  const d = await startDispatcher({ rateLimit: 0 });
  const headers = { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' };
  await fetch(`${d.url}/api/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiverUrl, events: ['*'] }) });
  const done = new Promise<void>((resolve) => {
    onReceived = () => received >= EVENTS && resolve();
  });
  const rate = await post(`${d.url}/api/events`, headers, body);
  await done;
  const seconds = (lastAt - firstAt) / 1000;
  console.log(`accepted (1 webhook, delivering): ${rate.toFixed(0)} events/s`);
  console.log(`delivered:                        ${(EVENTS / seconds).toFixed(0)} deliveries/s  (${EVENTS} in ${seconds.toFixed(2)} s, first to last)`);
  await d.stop();
}

// 3. Deliveries alone: a backlog of EVENTS pending deliveries drained to the receiver.
{
  received = 0;
  let open: () => void = () => undefined;
  gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const d = await startDispatcher({ rateLimit: 0 });
  const headers = { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' };
  await fetch(`${d.url}/api/webhooks`, { method: 'POST', headers, body: JSON.stringify({ url: receiverUrl, events: ['*'] }) });
  const done = new Promise<void>((resolve) => {
    onReceived = () => received >= EVENTS && resolve();
  });
  await post(`${d.url}/api/events`, headers, body); // must take less than the 10 s attempt timeout
  const opened = performance.now();
  gate = undefined;
  open();
  await done;
  const seconds = (lastAt - opened) / 1000;
  console.log(`delivered (backlog):              ${(EVENTS / seconds).toFixed(0)} deliveries/s  (${EVENTS} in ${seconds.toFixed(2)} s)`);
  await d.stop();
}

receiver.close();
