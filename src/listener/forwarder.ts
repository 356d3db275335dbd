import { Agent } from 'undici';
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

  async function forward(url: string, headers: string[], body: Buffer): Promise<ForwardAnswer> {
    const started = now();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    const elapsed = () => Math.max(0, now() - started);
    try {
      const { origin, path } = partsOf(url);
      const response = await agent.request({
        origin,
        path,
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_ANSWER_BYTES) {
          response.body.destroy();
          return failure(url, elapsed(), 'too_large', `The app at ${url} answered with a body over 1 MiB; the listener hands back at most 1 MiB.`);
        }
        chunks.push(chunk as Buffer);
      }
      return { url, status: response.statusCode, ms: elapsed(), headers: response.headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (timedOut) {
        return failure(url, elapsed(), 'timeout', `The app at ${url} did not answer within ${options.timeoutMs} ms. Answer quickly and do the work afterwards.`);
      }
      return failure(url, elapsed(), 'unreachable', `Could not reach the app at ${url} (${describe(error)}). Is it running on that port?`);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    forward,
    async close() {
      await agent.close();
    },
  };
}

function failure(url: string, ms: number, kind: NonNullable<ForwardResult['error']>['kind'], message: string): ForwardAnswer {
  return { url, status: null, ms, error: { kind, message }, headers: {}, body: Buffer.alloc(0) };
}

function describe(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  return err.code ?? err.cause?.code ?? err.message ?? String(error);
}
