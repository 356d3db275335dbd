import { Agent, type Dispatcher } from 'undici';
import { RESPONSE_BODY_LIMIT } from './policy.js';

export interface SendResult {
  statusCode: number | null;
  /** Why the attempt failed at the transport level (timeout, refused, reset), or a redirect not followed. */
  error: string | null;
  responseBody: string | null;
  durationMs: number;
}

export interface Sender {
  /** Rejects only when the sender is stopping (`signal` aborted): that attempt did not finish. */
  send(input: { url: string; headers: Record<string, string>; body: Buffer }): Promise<SendResult>;
  close(): Promise<void>;
}

type Controller = Dispatcher.DispatchController;

/**
 * Posts deliveries with undici: a keep-alive pool, no redirects followed, a hard timeout per
 * attempt from its start to the end of the answer's first 4 KiB.
 *
 * It speaks undici's dispatch handler API rather than `request()`: the profile had a fifth of an
 * attempt's cost in what `request()` adds around it (a readable stream for the answer, and
 * `AbortSignal.timeout` + `AbortSignal.any` per attempt). Here an attempt is one handler object
 * and one timer; stopping aborts the attempts in flight through `signal`.
 */
export function createSender({
  timeoutMs,
  connections,
  signal,
}: {
  timeoutMs: number;
  connections: number;
  signal: AbortSignal;
}): Sender {
  const agent = new Agent({ keepAliveTimeout: 4_000, connections, connect: { timeout: timeoutMs } });
  const inFlight = new Set<Attempt>();
  const timeout = Math.max(1, timeoutMs);
  signal.addEventListener(
    'abort',
    () => {
      for (const attempt of inFlight) attempt.stop();
    },
    { once: true },
  );

  return {
    send({ url, headers, body }) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      let parts: { origin: string; path: string };
      try {
        parts = target(url);
      } catch (error) {
        // A failed attempt, recorded as one: a rejection would mean "stopping" to the worker,
        // which would put the delivery back and claim it again at once, for ever.
        return Promise.resolve({
          statusCode: null,
          error: `invalid URL (${error instanceof Error ? error.message : String(error)})`,
          responseBody: null,
          durationMs: 0,
        });
      }
      return new Promise<SendResult>((resolve, reject) => {
        const attempt = new Attempt(timeout, resolve, reject, () => inFlight.delete(attempt));
        inFlight.add(attempt);
        agent.dispatch(
          {
            origin: parts.origin,
            path: parts.path,
            method: 'POST',
            headers,
            body,
            headersTimeout: timeout,
            bodyTimeout: timeout,
          },
          attempt,
        );
      });
    },
    close: () => agent.close(),
  };
}

const STOPPED = new Error('the dispatcher is stopping');

/** One attempt: a handler for undici's dispatch that settles a promise once. */
class Attempt implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private controller: Controller | undefined;
  private statusCode: number | null = null;
  private location: string | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private timedOut = false;
  private stopped = false;

  constructor(
    private readonly timeoutMs: number,
    private readonly resolve: (result: SendResult) => void,
    private readonly reject: (error: unknown) => void,
    private readonly done: () => void,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.abort();
    }, timeoutMs);
  }

  /** Shutdown: the attempt did not finish, so the caller records nothing and releases its lease. */
  stop(): void {
    this.stopped = true;
    this.abort();
  }

  private abort(): void {
    if (this.settled) return;
    if (this.controller) this.controller.abort(STOPPED);
    else this.onResponseError(undefined, STOPPED); // not started yet: settle now; undici's later callbacks are ignored
  }

  onRequestStart(controller: Controller): void {
    this.controller = controller;
    if (this.timedOut || this.stopped) controller.abort(STOPPED);
  }

  onResponseStart(
    _controller: Controller,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 1xx (103 Early Hints…): the answer is still to come
    this.statusCode = statusCode;
    if (statusCode >= 300 && statusCode < 400) {
      const location = headers.location;
      this.location = typeof location === 'string' ? location : undefined;
    }
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.settled) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size >= RESPONSE_BODY_LIMIT) {
      // The rest of the answer is not read: finish now and drop the connection (as destroying the stream did).
      this.finish();
      controller.abort(STOPPED);
    }
  }

  onResponseEnd(): void {
    this.finish();
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
    if (this.settled) return;
    this.settle();
    if (this.stopped) {
      this.reject(error);
      return;
    }
    const reason = this.timedOut ? `timed out after ${this.timeoutMs} ms` : describeError(error, this.timeoutMs);
    this.resolve({ statusCode: this.statusCode, error: reason, responseBody: null, durationMs: this.elapsed() });
  }

  private finish(): void {
    if (this.settled) return;
    this.settle();
    const statusCode = this.statusCode as number;
    const error =
      statusCode >= 300 && statusCode < 400
        ? `redirect to ${this.location ?? 'another URL'} not followed (HTTP ${statusCode})`
        : null;
    this.resolve({
      statusCode,
      error,
      responseBody: head(this.chunks, RESPONSE_BODY_LIMIT),
      durationMs: this.elapsed(),
    });
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.done();
  }

  private elapsed(): number {
    return Math.round(performance.now() - this.started);
  }
}

/** The first `limit` bytes of an answer as text. */
function head(chunks: Buffer[], limit: number): string {
  if (chunks.length === 0) return '';
  const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  return bytes.toString('utf8', 0, Math.min(limit, bytes.length));
}

/** Origin and path of a webhook URL, parsed once per URL (a handful of webhooks send thousands of attempts). */
const targets = new Map<string, { origin: string; path: string }>();
const MAX_TARGETS = 1_000;

function target(url: string): { origin: string; path: string } {
  let found = targets.get(url);
  if (found === undefined) {
    const parsed = new URL(url);
    found = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, found);
  }
  return found;
}

function describeError(error: unknown, timeoutMs: number): string {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } })?.code ??
    (error as { cause?: { code?: unknown } })?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out after ${timeoutMs} ms`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
