import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createWaiters } from './waiters.js';

/** One request a receiver got: the raw body bytes, the headers, and when. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Date.now() when the request's headers arrived. */
  at: number;
  /** 0-based position among every request this receiver got. */
  index: number;
  json(): unknown;
}

/** How to answer one request. Default: 200 "ok" at once. */
export interface Answer {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering (to trip a timeout, or keep deliveries in flight). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Answer 302 with this Location. */
  redirect?: string;
}

export type Responder = (request: ReceivedRequest) => Answer | undefined | Promise<Answer | undefined>;

export interface Receiver {
  /** `http://127.0.0.1:PORT/hook` */
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Sets how the next requests are answered: a fixed answer or a function of the request. */
  respond(answer: Answer | Responder): void;
  /** Resolves once `predicate` holds for the requests so far (checked on each arrival); rejects after `timeoutMs`. */
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  /** Resolves once at least `count` requests arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** A real node:http receiver on port 0 that records every request and answers as told. */
export async function startReceiver(initial: Answer | Responder = {}): Promise<Receiver> {
  let responder: Responder = typeof initial === 'function' ? initial : () => initial;
  const requests: ReceivedRequest[] = [];
  const waiters = createWaiters(requests, 'receiver');
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        at,
        index: requests.length,
        json: () => JSON.parse(body.toString('utf8')) as unknown,
      };
      requests.push(request);
      waiters.notify();
      void (async () => {
        const answer = (await responder(request)) ?? {};
        if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        if (answer.reset) {
          req.socket.destroy();
          return;
        }
        if (res.destroyed) return;
        if (answer.redirect !== undefined) {
          res.writeHead(302, { location: answer.redirect, ...answer.headers }).end();
          return;
        }
        res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
        res.end(answer.body ?? 'ok');
      })().catch(() => req.socket.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    respond(answer) {
      responder = typeof answer === 'function' ? answer : () => answer;
    },
    waitFor(predicate, timeoutMs = 20_000) {
      return waiters.waitFor(predicate, timeoutMs);
    },
    waitForCount(count, timeoutMs) {
      return receiver.waitFor((all) => all.length >= count, timeoutMs);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
