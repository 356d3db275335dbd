import { formatBytes } from '../core/bytes.js';
import { formatDuration } from '../core/duration.js';
import { MAX_BODY_BYTES } from '../core/limits.js';
import { createPoster, errorCode } from '../http/post.js';
import type { ForwardResult } from './types.js';

/** An app's answer is handed back to the sender; past this size it is cut off (the body cap of SPEC §3). */
const MAX_ANSWER_BYTES = MAX_BODY_BYTES;

export interface ForwardAnswer extends Omit<ForwardResult, 'answered'> {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface Forwarder {
  forward(url: string, headers: string[], body: Buffer): Promise<ForwardAnswer>;
  close(): Promise<void>;
}

/**
 * POSTs deliveries to apps through the shared poster (src/http/post.ts): one keep-alive pool
 * per origin, so a burst of deliveries reuses connections. Never rejects: an app that is down
 * or slow gives an answer with `error` set, which the server turns into 502 or 504.
 */
export function createForwarder(options: { timeoutMs: number; now?: () => number }): Forwarder {
  const now = options.now ?? Date.now;
  const poster = createPoster({ timeoutMs: options.timeoutMs, keepBytes: MAX_ANSWER_BYTES, overflow: 'fail', now });

  async function forward(url: string, headers: string[], body: Buffer): Promise<ForwardAnswer> {
    const answer = await poster.post(url, headers, body);
    const ms = Math.max(0, answer.ms);
    switch (answer.failure) {
      case undefined:
        return { url, status: answer.status, ms, headers: answer.headers, body: answer.body };
      case 'timeout':
        return failure(
          url,
          ms,
          'timeout',
          `The app at ${url} did not answer within ${formatDuration(options.timeoutMs)}. Answer quickly and do the work afterwards.`,
        );
      case 'too_large':
        return failure(
          url,
          ms,
          'too_large',
          `The app at ${url} answered with a body over ${formatBytes(MAX_ANSWER_BYTES)}; the listener hands back at most ${formatBytes(MAX_ANSWER_BYTES)}.`,
        );
      default:
        return failure(
          url,
          ms,
          'unreachable',
          `Could not reach the app at ${url} (${describe(answer.error)}). Is it running on that port?`,
        );
    }
  }

  return { forward, close: () => poster.close() };
}

function failure(
  url: string,
  ms: number,
  kind: NonNullable<ForwardResult['error']>['kind'],
  message: string,
): ForwardAnswer {
  return { url, status: null, ms, error: { kind, message }, headers: {}, body: Buffer.alloc(0) };
}

function describe(error: unknown): string {
  return errorCode(error) ?? (error instanceof Error ? error.message : String(error));
}
