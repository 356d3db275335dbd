import { createHmac, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the sample app got: the raw bytes and headers, and whether it verified them itself. */
export interface AppDelivery {
  path: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** The app's own check of X-V2K-Signature on the raw body (null without a secret). */
  verified: boolean | null;
  event: string | undefined;
}

export type AppMode = { kind: 'answer'; status: number; body?: string } | { kind: 'hang' };

export interface SampleApp {
  name: string;
  url: string;
  port: number;
  received: AppDelivery[];
  /** Resolves once `count` deliveries arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<AppDelivery[]>;
  setMode(mode: AppMode): void;
  /** The secret the app checks X-V2K-Signature with from now on (e.g. the one `listen --register` printed). */
  setSecret(secret: string): void;
  /** Stops listening (the port refuses connections) until `start()`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * A receiver the way the README tells people to write one: it verifies X-V2K-Signature on the
 * raw body with node:crypto (not with this package), answers 401 when it does not match, and
 * records every request. Default answer: 200 `{"ok":true,"app":NAME}`.
 */
export async function startApp(options: { name?: string; secret?: string; mode?: AppMode } = {}): Promise<SampleApp> {
  const name = options.name ?? 'app';
  const received: AppDelivery[] = [];
  const emitter = new EventEmitter();
  let mode: AppMode = options.mode ?? { kind: 'answer', status: 200 };
  let secret = options.secret;
  const hanging = new Set<ServerResponse>();

  const handler = (req: import('node:http').IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signature = req.headers['x-v2k-signature'];
      const verified =
        secret === undefined ? null : checkSignature(body, typeof signature === 'string' ? signature : '', secret);
      let event: string | undefined;
      try {
        event = (JSON.parse(body.toString('utf8')) as { event?: string }).event;
      } catch {
        event = undefined;
      }
      received.push({ path: req.url ?? '/', headers: req.headers, rawHeaders: req.rawHeaders, body, verified, event });
      emitter.emit('delivery');
      if (mode.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (verified === false) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      const text = mode.body ?? JSON.stringify({ ok: mode.status < 300, app: name, path: req.url });
      res.writeHead(mode.status, { 'content-type': 'application/json', 'x-app': name }).end(text);
    });
  };

  let server: Server = createServer(handler);
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

  const app: SampleApp = {
    name,
    url: `http://127.0.0.1:${port}/`,
    port,
    received,
    waitFor(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            emitter.off('delivery', check);
            resolve(received.slice());
          }
        };
        const timer = setTimeout(() => {
          emitter.off('delivery', check);
          reject(new Error(`${name} got ${received.length} deliveries, expected ${count}`));
        }, timeoutMs);
        emitter.on('delivery', check);
        check();
      });
    },
    setMode(next) {
      mode = next;
    },
    setSecret(next) {
      secret = next;
    },
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      server = createServer(handler);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    },
  };
  return app;
}

/** The README's few lines of node:crypto: hex HMAC-SHA256 of the raw body, compared in constant time. */
function checkSignature(body: Buffer, signature: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = /^[0-9a-f]{64}$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
