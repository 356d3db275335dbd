import { Agent, request } from 'undici';
import { RESPONSE_BODY_LIMIT } from './policy.js';

export interface SendResult {
  statusCode: number | null;
  /** Why the attempt failed at the transport level (timeout, refused, reset), or a redirect not followed. */
  error: string | null;
  responseBody: string | null;
  durationMs: number;
}

export interface Sender {
  send(input: { url: string; headers: Record<string, string>; body: Buffer; signal: AbortSignal }): Promise<SendResult>;
  close(): Promise<void>;
}

/** Posts deliveries with undici: a keep-alive pool, no redirects followed, a hard timeout per attempt. */
export function createSender({ timeoutMs, connections }: { timeoutMs: number; connections: number }): Sender {
  const agent = new Agent({ keepAliveTimeout: 4_000, connections, connect: { timeout: timeoutMs } });

  return {
    async send({ url, headers, body, signal }) {
      const started = performance.now();
      const timeout = AbortSignal.timeout(Math.max(1, timeoutMs));
      const combined = AbortSignal.any([timeout, signal]);
      const elapsed = (): number => Math.round(performance.now() - started);
      let statusCode: number | null = null;
      try {
        const res = await request(url, {
          method: 'POST',
          headers,
          body,
          dispatcher: agent,
          signal: combined,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        statusCode = res.statusCode;
        const responseBody = await readHead(res.body, RESPONSE_BODY_LIMIT);
        const location = res.headers.location;
        const error =
          statusCode >= 300 && statusCode < 400
            ? `redirect to ${typeof location === 'string' ? location : 'another URL'} not followed (HTTP ${statusCode})`
            : null;
        return { statusCode, error, responseBody, durationMs: elapsed() };
      } catch (error) {
        if (signal.aborted) throw error; // shutdown: the caller releases the lease, no attempt is recorded
        const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : describeError(error, timeoutMs);
        return { statusCode, error: reason, responseBody: null, durationMs: elapsed() };
      }
    },
    close: () => agent.close(),
  };
}

/** The first `limit` bytes of a response as text; the rest is discarded. */
async function readHead(stream: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function describeError(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code;
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
