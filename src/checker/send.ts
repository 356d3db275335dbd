import { Agent } from 'undici';

/** What one request of the battery got back. */
export interface Answer {
  /** HTTP status, or null when no answer came (see `failure`). */
  status: number | null;
  /** From the start of the request to the end of the answer (or of what was read of it). */
  ms: number;
  /** Bytes of the answer's body read; reading stops one byte past the cap. */
  bytes: number;
  /** The body went past the cap and was not read further. */
  overCap: boolean;
  /** The start of the body as text, for the diagnosis. */
  head: string;
  /** `Location` of a 3xx. */
  location: string | null;
  /** Why no complete answer came, in a few words; null when one did. */
  error: string | null;
  /**
   * `unreachable`: nothing answered (refused, no such host, TLS); `timeout`: no complete answer
   * within the timeout; `reset`: the connection broke. Null when an answer came.
   */
  failure: 'unreachable' | 'timeout' | 'reset' | null;
}

export interface OutgoingRequest {
  headers: Record<string, string>;
  body: string;
}

export interface Client {
  send(request: OutgoingRequest): Promise<Answer>;
  close(): Promise<void>;
}

/** How much of an answer's body is kept for the diagnosis. */
const HEAD_CHARS = 2_000;

/**
 * POSTs to one URL the way the platform does: no redirects followed, a hard timeout per request
 * from its start to the end of the answer, and the answer's body read only up to `capBytes`.
 * `stop` aborts the request in flight; `send` then rejects with its reason.
 */
export function createClient({
  url,
  timeoutMs,
  capBytes,
  stop,
}: {
  url: URL;
  timeoutMs: number;
  capBytes: number;
  stop?: AbortSignal;
}): Client {
  const agent = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: timeoutMs } });
  const path = `${url.pathname}${url.search}`;
  return {
    async send({ headers, body }) {
      stop?.throwIfAborted();
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = stop ? AbortSignal.any([stop, timeout]) : timeout;
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let status: number | null = null;
      let location: string | null = null;
      let bytes = 0;
      let overCap = false;
      const chunks: Buffer[] = [];
      let kept = 0;
      try {
        const response = await agent.request({
          origin: url.origin,
          path,
          method: 'POST',
          headers,
          body,
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        status = response.statusCode;
        const header = response.headers.location;
        location = typeof header === 'string' ? header : null;
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          if (kept < HEAD_CHARS) {
            chunks.push(chunk);
            kept += chunk.length;
          }
          if (bytes > capBytes) {
            overCap = true;
            break; // leaving the loop destroys the stream: the rest is never read
          }
        }
        return { status, ms: elapsed(), bytes, overCap, head: text(chunks), location, error: null, failure: null };
      } catch (error) {
        if (stop?.aborted) throw stop.reason;
        const ms = elapsed();
        const failure = timeout.aborted ? 'timeout' : classify(error, status);
        const why = failure === 'timeout' ? `no complete answer within ${formatMs(timeoutMs)}` : describe(error);
        return { status, ms, bytes, overCap, head: text(chunks), location, error: why, failure };
      }
    },
    close: () => agent.close(),
  };
}

function text(chunks: Buffer[]): string {
  return Buffer.concat(chunks).toString('utf8').slice(0, HEAD_CHARS);
}

function codeOf(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

function classify(error: unknown, status: number | null): 'unreachable' | 'reset' | 'timeout' {
  const code = codeOf(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return status === null && code === 'UND_ERR_CONNECT_TIMEOUT' ? 'unreachable' : 'timeout';
  }
  // Anything that fails before a status line came back means nothing answered: refused, no
  // such host, a TLS certificate the platform would refuse too.
  return status === null && code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET' ? 'unreachable' : 'reset';
}

function describe(error: unknown): string {
  switch (codeOf(error)) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** `850 ms`, `1.2 s`, `10 s`, `10 min`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms >= 120_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

/** `1 MiB`, `4 KiB`, `120 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}
