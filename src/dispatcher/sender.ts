import { formatDuration } from '../core/duration.js';
import { createPoster, describeTransportError, type PostAnswer } from '../http/post.js';
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

const STOPPED = new Error('the dispatcher is stopping');

/**
 * Posts deliveries through the shared poster (src/http/post.ts): a keep-alive pool, no
 * redirects followed, a hard timeout per attempt from its start to the end of the answer's
 * first 4 KiB. Stopping (`signal`) ends the attempts in flight, which then reject.
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
  const timeout = Math.max(1, timeoutMs);
  const poster = createPoster({
    timeoutMs: timeout,
    keepBytes: RESPONSE_BODY_LIMIT,
    overflow: 'truncate',
    connections,
  });
  signal.addEventListener('abort', () => poster.stop(), { once: true });
  const toResult = (answer: PostAnswer): SendResult | Promise<never> => {
    if (answer.failure === 'stopped') return Promise.reject(STOPPED);
    return {
      statusCode: answer.status,
      error: failureText(answer, timeout),
      responseBody: answer.failure === undefined ? answer.body.toString('utf8') : null,
      durationMs: Math.round(answer.ms),
    };
  };

  return {
    send({ url, headers, body }) {
      if (signal.aborted) return Promise.reject(signal.reason as Error);
      // A URL that does not parse is a failed attempt, recorded as one: a rejection would mean
      // "stopping" to the worker, which would put the delivery back and claim it again, for ever.
      return poster.post(url, headers, body).then(toResult);
    },
    close: () => poster.close(),
  };
}

function failureText(answer: PostAnswer, timeoutMs: number): string | null {
  switch (answer.failure) {
    case undefined: {
      const status = answer.status as number;
      if (status < 300 || status >= 400) return null;
      const location = answer.headers.location;
      return `redirect to ${typeof location === 'string' ? location : 'another URL'} not followed (HTTP ${status})`;
    }
    case 'timeout':
      return `timed out after ${formatDuration(timeoutMs)}`;
    case 'invalid_url':
      return `invalid URL (${answer.error instanceof Error ? answer.error.message : String(answer.error)})`;
    default:
      return describeTransportError(answer.error);
  }
}
