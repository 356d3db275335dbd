import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { MAX_TIMER_MS } from '../core/limits.js';

/**
 * The one "POST these bytes and capture the answer" of the dispatcher's sender, `listen`'s
 * forwarder and `replay` (issue 15). It speaks undici's dispatch handler API rather than
 * `request()`: profiles of both hot paths had a fifth of each exchange's cost in what
 * `request()` adds around it (a readable stream for the answer, an AbortSignal per call). Here
 * an exchange is one handler object and one timer, with a hard deadline from its start to the
 * end of the part of the answer that is kept.
 */

/** Why an exchange gave no whole answer. */
export type PostFailure =
  | 'timeout' // no whole answer within the deadline
  | 'too_large' // the answer passed `keepBytes` and `overflow` is 'fail'
  | 'network' // refused, reset, DNS…: see `error`
  | 'invalid_url'
  | 'stopped'; // the poster was stopped while it was in flight

export interface PostAnswer {
  /** The final status (1xx skipped); null when none came. */
  status: number | null;
  /** The answer's headers ({} when none came). */
  headers: IncomingHttpHeaders;
  /**
   * The answer's body, at most `keepBytes` of it; with `failure` set, what came before it (empty
   * for `too_large`).
   */
  body: Buffer;
  /** Bytes of the body received: past `keepBytes` when it was cut off there. */
  bytes: number;
  failure: PostFailure | undefined;
  /** The transport error behind `network` (or `invalid_url`). */
  error: unknown;
  /** From the start of the exchange, by the poster's clock. */
  ms: number;
}

export interface PosterOptions {
  /** Deadline of each exchange: connect, send, and read the kept part of the answer. */
  timeoutMs: number;
  /** Most bytes of an answer kept. */
  keepBytes: number;
  /** Past `keepBytes`: 'truncate' finishes with the first bytes and drops the connection; 'fail' gives `too_large`. */
  overflow: 'truncate' | 'fail';
  /** Keep-alive connections per origin; default undici's (no limit). */
  connections?: number;
  /** Clock for `ms`; default performance.now. */
  now?: () => number;
}

export interface Poster {
  /** Never rejects: every outcome is an answer, with `failure` set when there was no whole one. */
  post(url: string, headers: Record<string, string> | string[], body: Buffer): Promise<PostAnswer>;
  /** Ends every exchange in flight now, each with `stopped`. */
  stop(): void;
  close(): Promise<void>;
}

/** Origin and path of each URL, parsed once (a handful of targets take thousands of posts), at most this many. */
const MAX_PARSED_URLS = 1_000;

export function createPoster(options: PosterOptions): Poster {
  const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, options.timeoutMs));
  const now = options.now ?? (() => performance.now());
  const agent = new Agent({
    keepAliveTimeout: 4_000,
    connections: options.connections,
    connect: { timeout: timeoutMs },
    // The exchange's own deadline governs; undici's must not cut it shorter (nor pass what a timer holds).
    headersTimeout: Math.min(timeoutMs + 1_000, MAX_TIMER_MS),
    bodyTimeout: Math.min(timeoutMs + 1_000, MAX_TIMER_MS),
  });
  const settings = { timeoutMs, keepBytes: options.keepBytes, overflow: options.overflow, now };
  const inFlight = new ExchangeList();
  const parsed = new Map<string, { origin: string; path: string }>();

  return {
    post(url, headers, body) {
      let parts = parsed.get(url);
      if (parts === undefined) {
        try {
          const u = new URL(url);
          parts = { origin: u.origin, path: `${u.pathname}${u.search}` };
        } catch (error) {
          return Promise.resolve({
            status: null,
            headers: {},
            body: EMPTY,
            bytes: 0,
            failure: 'invalid_url',
            error,
            ms: 0,
          });
        }
        if (parsed.size >= MAX_PARSED_URLS) parsed.clear();
        parsed.set(url, parts);
      }
      const target = parts;
      return new Promise<PostAnswer>((resolve) => {
        const exchange = new Exchange(settings, (answer) => {
          inFlight.remove(exchange);
          resolve(answer);
        });
        inFlight.add(exchange);
        agent.dispatch({ origin: target.origin, path: target.path, method: 'POST', headers, body }, exchange);
      });
    },
    stop() {
      inFlight.endAll('stopped');
    },
    close: () => agent.close(),
  };
}

const EMPTY = Buffer.alloc(0);
const ENDED = new Error('the exchange has ended');

/**
 * The exchanges in flight, for stop(): a list threaded through them. Not a Set: a long-lived Set
 * taking and dropping an entry per exchange kept each exchange alive into the old generation,
 * and collecting those cost `listen` about 8 µs per forward (a fifth of the forward's CPU).
 */
class ExchangeList {
  private head: Exchange | undefined;

  add(exchange: Exchange): void {
    exchange.next = this.head;
    if (this.head) this.head.prev = exchange;
    this.head = exchange;
  }

  remove(exchange: Exchange): void {
    if (exchange.prev) exchange.prev.next = exchange.next;
    else if (this.head === exchange) this.head = exchange.next;
    if (exchange.next) exchange.next.prev = exchange.prev;
    exchange.prev = exchange.next = undefined;
  }

  endAll(failure: PostFailure): void {
    // end() removes each from the list as it settles: take the next one first.
    for (let exchange = this.head; exchange;) {
      const next: Exchange | undefined = exchange.next;
      exchange.end(failure);
      exchange = next;
    }
  }
}

/** One exchange: a handler for undici's dispatch that settles once. */
class Exchange implements Dispatcher.DispatchHandler {
  /** Neighbours in the poster's list of exchanges in flight. */
  prev: Exchange | undefined;
  next: Exchange | undefined;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout;
  private controller: Dispatcher.DispatchController | undefined;
  private status: number | null = null;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly settings: {
      timeoutMs: number;
      keepBytes: number;
      overflow: 'truncate' | 'fail';
      now: () => number;
    },
    private readonly done: (answer: PostAnswer) => void,
  ) {
    this.started = settings.now();
    this.timer = setTimeout(() => this.end('timeout'), settings.timeoutMs);
  }

  /** Ends the exchange without a whole answer, and drops its connection. */
  end(failure: PostFailure, error?: unknown): void {
    if (this.settled) return;
    this.settle(failure, error);
    this.controller?.abort(ENDED); // not started yet: onRequestStart aborts it
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(ENDED);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return; // 1xx (103 Early Hints…): the answer is still to come
    this.status = status;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    if (this.size <= this.settings.keepBytes) {
      this.chunks.push(chunk);
      return;
    }
    if (this.settings.overflow === 'fail') {
      this.chunks = [];
      this.end('too_large');
      return;
    }
    // The rest of the answer is not read: finish with its first bytes and drop the connection.
    this.chunks.push(chunk);
    this.settle(undefined);
    controller.abort(ENDED);
  }

  onResponseEnd(): void {
    if (!this.settled) this.settle(undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (!this.settled) this.settle(isTimeout(error) ? 'timeout' : 'network', error);
  }

  private settle(failure: PostFailure | undefined, error?: unknown): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.done({
      status: this.status,
      headers: this.headers,
      body: joined(this.chunks, this.settings.keepBytes),
      bytes: this.size,
      failure,
      error,
      ms: this.settings.now() - this.started,
    });
  }
}

function joined(chunks: Buffer[], limit: number): Buffer {
  if (chunks.length === 0) return EMPTY;
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  return bytes.length > limit ? bytes.subarray(0, limit) : bytes;
}

function isTimeout(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/** A transport error in a few words for people: `connection refused`, `host not found`, … */
export function describeTransportError(error: unknown): string {
  switch (errorCode(error)) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** The system or undici code of a transport error (`ECONNREFUSED`, `UND_ERR_SOCKET`…), if any. */
export function errorCode(error: unknown): string | undefined {
  const err = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}
