import { Agent, type Dispatcher } from 'undici';
import { MAX_BODY_BYTES } from '../core/limits.js';
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
 * POSTs deliveries to apps through one keep-alive undici Agent (a pool per origin), so a burst
 * of deliveries reuses connections. Never rejects: an app that is down or slow gives an answer
 * with `error` set, which the server turns into 502 or 504.
 */
export function createForwarder(options: { timeoutMs: number; now?: () => number }): Forwarder {
  const now = options.now ?? Date.now;
  const agent = new Agent({
    keepAliveTimeout: 4_000,
    connect: { timeout: options.timeoutMs },
    // The whole exchange is bounded by our own deadline below; these only must not cut it shorter.
    headersTimeout: options.timeoutMs + 1_000,
    bodyTimeout: options.timeoutMs + 1_000,
  });

  // Targets are fixed for the listener's life: parse each URL once, not twice per delivery.
  const parsed = new Map<string, { origin: string; path: string }>();
  const partsOf = (url: string) => {
    let parts = parsed.get(url);
    if (parts === undefined) {
      const u = new URL(url);
      parts = { origin: u.origin, path: `${u.pathname}${u.search}` };
      parsed.set(url, parts);
    }
    return parts;
  };

  function forward(url: string, headers: string[], body: Buffer): Promise<ForwardAnswer> {
    const started = now();
    const elapsed = () => Math.max(0, now() - started);
    const unreachable = (error: unknown) =>
      failure(
        url,
        elapsed(),
        'unreachable',
        `Could not reach the app at ${url} (${describe(error)}). Is it running on that port?`,
      );
    return new Promise((resolve) => {
      // A handler of undici's dispatch API rather than agent.request(): no AbortController, no
      // response stream and no async resource per delivery (together about a fifth of listen's CPU).
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 0;
      let appHeaders: ForwardAnswer['headers'] = {};
      let chunks: Buffer[] = [];
      let size = 0;
      const settle = (answer: ForwardAnswer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(answer);
      };
      const stop = (answer: ForwardAnswer): void => {
        settle(answer);
        controller?.abort(new Error(answer.error?.message));
      };
      // Our own deadline for the whole exchange (connect, headers and body): 504 past it.
      const timer = setTimeout(
        () =>
          stop(
            failure(
              url,
              elapsed(),
              'timeout',
              `The app at ${url} did not answer within ${options.timeoutMs} ms. Answer quickly and do the work afterwards.`,
            ),
          ),
        options.timeoutMs,
      );
      let parts: { origin: string; path: string };
      try {
        parts = partsOf(url);
      } catch (error) {
        settle(unreachable(error));
        return;
      }
      agent.dispatch(
        { origin: parts.origin, path: parts.path, method: 'POST', headers, body },
        {
          onRequestStart(c) {
            controller = c;
            if (settled) c.abort(new Error('The answer was already given.'));
          },
          onResponseStart(_c, statusCode, responseHeaders) {
            if (statusCode < 200) return; // 1xx: the final answer follows
            status = statusCode;
            appHeaders = responseHeaders;
          },
          onResponseData(_c, chunk) {
            if (settled) return;
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) {
              chunks = [];
              stop(
                failure(
                  url,
                  elapsed(),
                  'too_large',
                  `The app at ${url} answered with a body over 1 MiB; the listener hands back at most 1 MiB.`,
                ),
              );
            } else chunks.push(chunk);
          },
          onResponseEnd() {
            settle({
              url,
              status,
              ms: elapsed(),
              headers: appHeaders,
              body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
            });
          },
          onResponseError(_c, error) {
            settle(unreachable(error));
          },
        },
      );
    });
  }

  return {
    forward,
    async close() {
      await agent.close();
    },
  };
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
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  return err.code ?? err.cause?.code ?? err.message ?? String(error);
}
