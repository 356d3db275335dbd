import { formatDuration } from '../core/duration.js';
import { createPoster, describeTransportError, errorCode, type PostAnswer } from '../http/post.js';

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
 * POSTs to one URL the way the platform does, through the shared poster (src/http/post.ts): no
 * redirects followed, a hard timeout per request from its start to the end of the answer, and
 * the answer's body read only up to `capBytes` (past it, `overCap`). `stop` aborts the request in
 * flight; `send` then rejects with its reason.
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
  const poster = createPoster({ timeoutMs, keepBytes: capBytes, overflow: 'truncate' });
  const onStop = () => poster.stop();
  stop?.addEventListener('abort', onStop, { once: true });
  const href = url.href;
  return {
    async send({ headers, body }) {
      stop?.throwIfAborted();
      const answer = await poster.post(href, headers, Buffer.from(body));
      if (answer.failure === 'stopped') throw stop?.reason ?? new Error('stopped');
      const header = answer.headers.location;
      const failure = answer.failure === undefined ? null : classify(answer);
      return {
        status: answer.status,
        ms: Math.round(answer.ms),
        bytes: answer.bytes,
        overCap: answer.bytes > capBytes,
        head: answer.body
          .subarray(0, HEAD_CHARS * 4)
          .toString('utf8')
          .slice(0, HEAD_CHARS),
        location: typeof header === 'string' ? header : null,
        error:
          failure === null
            ? null
            : failure === 'timeout'
              ? `no complete answer within ${formatDuration(timeoutMs)}`
              : describeTransportError(answer.error),
        failure,
      };
    },
    close: () => {
      stop?.removeEventListener('abort', onStop);
      return poster.close();
    },
  };
}

function classify({ failure, error, status }: PostAnswer): 'unreachable' | 'reset' | 'timeout' {
  const code = errorCode(error);
  if (failure === 'timeout') return status === null && code === 'UND_ERR_CONNECT_TIMEOUT' ? 'unreachable' : 'timeout';
  // Anything that fails before a status line came back means nothing answered: refused, no
  // such host, a TLS certificate the platform would refuse too.
  return status === null && code !== 'ECONNRESET' && code !== 'UND_ERR_SOCKET' ? 'unreachable' : 'reset';
}
