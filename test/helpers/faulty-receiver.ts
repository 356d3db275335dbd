import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '../../src/dispatcher/chaos.js';
import { createWaiters } from './waiters.js';

// The dispatcher's own seeded generator (mulberry32), re-exported for the tests that draw with it.
export { seededRandom };

/** What the receiver can do to a request instead of answering 200 at once. */
export const FAULT_KINDS = ['error500', 'timeout', 'reset', 'slowBody', 'redirect'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type Action = FaultKind | 'ok';

/** Probability of each fault per request, 0–1; what is left is a 200. */
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultyReceiverOptions {
  /** Same seed, same keys → same faults: a failing run can be replayed. */
  seed: number;
  rates: FaultRates;
  /**
   * How long `timeout` (no answer) and `slowBody` (200, a few bytes, then nothing) hold the
   * request before finishing it. Must exceed the sender's timeout; the receiver lets go sooner
   * when the sender hangs up.
   */
  holdMs: number;
  /**
   * The key a request's fault is drawn for. Default: `X-V2K-Delivery#X-V2K-Attempt`. Give a key
   * the test knows in advance (e.g. a number it put in the event) to predict every fault.
   */
  keyOf?: (request: FaultyRequest) => string;
  /**
   * Per group (default: the request path, i.e. one webhook each): at most `faults` faults among
   * the last `of` requests in arrival order, and at most `holds` requests held (timeout, slow body)
   * starting within any `perMs`. A fault drawn past either is replaced by a 200 and recorded as
   * `forced`. The dispatcher records attempts in its own order (a held one only when its timeout
   * fires), so a cap on runs in arrival order is not enough: a bounded density, and holds that
   * cannot all expire at the same moment, keep a webhook clear of the 10 consecutive recorded
   * failures that disable it.
   */
  limit?: { faults: number; of: number; holds: number; perMs: number };
  groupOf?: (request: FaultyRequest) => string;
  /** Requests always answered 200 at once, whatever the seed draws (e.g. a test's own background traffic). */
  exempt?: (request: FaultyRequest) => boolean;
}

export interface FaultyRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json(): unknown;
}

/** What the receiver did to one request: the test predicts each delivery's outcome from these. */
export interface FaultRecord {
  /** 0-based arrival position. */
  index: number;
  at: number;
  path: string;
  key: string;
  deliveryId: string | undefined;
  eventId: string | undefined;
  attempt: number | undefined;
  /** What the seed drew for this key. */
  planned: Action;
  /** What was done (differs from `planned` only when `forced`). */
  applied: Action;
  forced: boolean;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FaultyReceiver {
  port: number;
  /** `http://127.0.0.1:PORT/<path>` (default path `hook`). */
  url(path?: string): string;
  readonly records: FaultRecord[];
  /** Requests that arrived on a redirect's target path (must stay empty: redirects are not followed). */
  readonly followedRedirects: number;
  /** How many of each action were applied. */
  counts(): Record<Action, number>;
  waitFor(predicate: (records: FaultRecord[]) => boolean, timeoutMs?: number): Promise<FaultRecord[]>;
  close(): Promise<void>;
}

/** A 32-bit FNV-1a hash of a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The action the seed draws for `key`: a pure function, so a test can predict it before sending. */
export function drawAction(seed: number, key: string, rates: FaultRates): Action {
  const roll = seededRandom(hash(`${seed}:${key}`) ^ seed)();
  let edge = 0;
  for (const kind of FAULT_KINDS) {
    edge += rates[kind] ?? 0;
    if (roll < edge) return kind;
  }
  return 'ok';
}

const REDIRECT_TARGET = '/redirected';
/** The longest any request is held, whatever `holdMs` says: the receiver never keeps sockets for ever. */
const HOLD_CAP_MS = 30_000;

/**
 * A real node:http receiver on 127.0.0.1 that injects faults at set rates: HTTP 500, no answer
 * (a timeout), a reset connection, a 200 whose body stalls, a redirect. Each decision is drawn
 * from the seed and the request's key, and recorded with what was done.
 */
export async function startFaultyReceiver(options: FaultyReceiverOptions): Promise<FaultyReceiver> {
  const holdMs = Math.min(options.holdMs, HOLD_CAP_MS);
  const keyOf =
    options.keyOf ?? ((r) => `${String(r.headers['x-v2k-delivery'])}#${String(r.headers['x-v2k-attempt'])}`);
  const groupOf = options.groupOf ?? ((r) => r.path);
  const recent = new Map<string, boolean[]>(); // per group: whether each of the last `of` requests was a fault
  const holdStarts = new Map<string, number[]>(); // per group: when the latest holds began
  const records: FaultRecord[] = [];
  const waiters = createWaiters(records, 'faulty receiver');
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let followedRedirects = 0;

  const hold = (res: ServerResponse, finish: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) finish();
    }, holdMs);
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith(REDIRECT_TARGET)) {
        followedRedirects++;
        res.writeHead(200).end('followed');
        return;
      }
      const body = Buffer.concat(chunks);
      const request: FaultyRequest = {
        path,
        headers: req.headers,
        body,
        json: () => JSON.parse(body.toString('utf8')) as unknown,
      };
      let key: string;
      try {
        key = keyOf(request);
      } catch {
        key = `unkeyed#${records.length}`;
      }
      let exempt = false;
      try {
        exempt = options.exempt?.(request) ?? false;
      } catch {
        exempt = false;
      }
      const planned = exempt ? 'ok' : drawAction(options.seed, key, options.rates);
      let applied = planned;
      const group = groupOf(request);
      const limit = options.limit;
      if (limit !== undefined) {
        const window = recent.get(group) ?? [];
        const isHold = planned === 'timeout' || planned === 'slowBody';
        const starts = (holdStarts.get(group) ?? []).filter((t) => t > at - limit.perMs);
        if (
          planned !== 'ok' &&
          (window.filter(Boolean).length >= limit.faults || (isHold && starts.length >= limit.holds))
        )
          applied = 'ok';
        if (applied === 'timeout' || applied === 'slowBody') starts.push(at);
        holdStarts.set(group, starts);
        window.push(applied !== 'ok');
        if (window.length > limit.of) window.shift();
        recent.set(group, window);
      }
      const attempt = Number(req.headers['x-v2k-attempt']);
      records.push({
        index: records.length,
        at,
        path,
        key,
        deliveryId: header(req.headers, 'x-v2k-delivery'),
        eventId: header(req.headers, 'x-v2k-event-id'),
        attempt: Number.isInteger(attempt) ? attempt : undefined,
        planned,
        applied,
        forced: applied !== planned,
        headers: req.headers,
        body,
      });
      waiters.notify();

      switch (applied) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        case 'error500':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
          return;
        case 'redirect':
          res.writeHead(302, { location: `http://127.0.0.1:${port}${REDIRECT_TARGET}` }).end();
          return;
        case 'reset':
          req.socket.destroy();
          return;
        case 'timeout':
          hold(res, () => res.writeHead(200).end('too late'));
          return;
        case 'slowBody':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '64' });
          res.write('slow');
          hold(res, () => res.end('.'.repeat(60)));
          return;
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (path = 'hook') => `http://127.0.0.1:${port}/${path}`,
    records,
    get followedRedirects() {
      return followedRedirects;
    },
    counts() {
      const counts = { ok: 0, error500: 0, timeout: 0, reset: 0, slowBody: 0, redirect: 0 } as Record<Action, number>;
      for (const record of records) counts[record.applied]++;
      return counts;
    },
    waitFor(predicate, timeoutMs = 30_000) {
      return waiters.waitFor(predicate, timeoutMs, 100);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}
