import { formatBytes } from './bytes.js';
import { ApiError, ExitCode, V2kError, readApiErrorBody } from './errors.js';
import { MAX_BODY_BYTES, MAX_WEBHOOKS_PER_USER } from './limits.js';
import { clip } from './printable.js';

/**
 * How the API client turns what went wrong into errors for people (SPEC §3, §5): a non-2xx
 * answer becomes an `ApiError` with a hint on what to do, a failed connection a `V2kError`
 * naming the URL. The transport (timeouts, retries) stays in api-client.ts.
 */

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** A non-2xx answer as an `ApiError`; `subject` names what a 404 is about ("webhook wh_…"). */
export function apiError(
  status: number,
  text: string,
  method: string,
  url: string,
  subject: string | undefined,
): ApiError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    body = text; // a proxy's HTML page, say: kept as text for the person debugging
  }
  const server = readApiErrorBody(body);
  const detail = server
    ? `${server.message}`
    : `${method} ${url} answered HTTP ${status}${text ? ` (${preview(text)})` : ''}.`;
  if (status === 401) {
    return new ApiError(status, body, {
      message: `The API key was rejected (HTTP 401${server ? `: ${server.message}` : ''}).`,
      hint: 'Run `v2k-webhooks login` or set V2K_API_KEY.',
    });
  }
  if (status === 404 && subject) {
    return new ApiError(status, body, {
      message: `Not found: ${subject} (HTTP 404${server ? `: ${server.message}` : ''}).`,
      hint: 'Check the id with `v2k-webhooks list` (or `v2k-webhooks deliveries <id>`); a webhook of another account is not found either.',
    });
  }
  if (status === 409 && server?.code === 'limit_reached') {
    return new ApiError(status, body, {
      message: `${server.message} (HTTP 409 limit_reached: at most ${MAX_WEBHOOKS_PER_USER} webhooks per account).`,
      hint: 'Delete one you no longer need: `v2k-webhooks list`, then `v2k-webhooks delete <id>`.',
    });
  }
  if (status === 409 && server?.code === 'webhook_disabled') {
    // The platform's message may end with how to enable it over HTTP; the hint says it once, for the CLI.
    const what = server.message.replace(/\s*Enable it first\b.*$/is, '').replace(/\.$/, '') || server.message;
    return new ApiError(status, body, {
      message: `${what} (HTTP 409 webhook_disabled).`,
      hint: `Enable it first: \`v2k-webhooks update ${subject?.replace(/^webhook /, '') ?? '<id>'} --enable\`.`,
    });
  }
  return new ApiError(status, body, {
    message: server ? `${detail} (HTTP ${status} ${server.code})` : detail,
    hint:
      status >= 500
        ? 'The server failed; try again in a moment.'
        : status === 413
          ? `Send a smaller body (at most ${formatBytes(MAX_BODY_BYTES)}).`
          : undefined,
  });
}

/** Transient network failures. A refused connection or an unknown host is not retried: nothing listens there, and waiting will not change that. */
export function isRetryableNetworkError(error: unknown): boolean {
  const code = errorCode(error) ?? '';
  return NETWORK_CODES.has(code) && code !== 'ECONNREFUSED' && code !== 'ENOTFOUND';
}

function errorCode(error: unknown): string | undefined {
  const codes: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes.find((code) => NETWORK_CODES.has(code)) ?? codes[0];
}

/** A request that got no answer at all, naming the URL and what to check. */
export function networkError(error: unknown, url: string, method: string): V2kError {
  if (error instanceof V2kError) return error;
  const code = errorCode(error);
  const { hostname, origin } = new URL(url);
  const local = isLocalHost(hostname);
  if (code === 'ECONNREFUSED') {
    return new V2kError(`Could not connect to ${origin} (connection refused) for ${method} ${url}.`, {
      code: 'connection_refused',
      exitCode: ExitCode.FAILURE,
      hint: local
        ? `Nothing listens there: start one with \`v2k-webhooks dispatcher\`, or pass the right --api-url.`
        : 'Check --api-url or V2K_API_URL, and your network.',
      cause: error,
    });
  }
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  return new V2kError(`Could not reach ${origin} (${reason}) for ${method} ${url}.`, {
    code: 'network_error',
    hint: local
      ? 'Is the dispatcher still running? Start one with `v2k-webhooks dispatcher`.'
      : 'Check --api-url or V2K_API_URL, and your network.',
    cause: error,
  });
}

function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    host.startsWith('127.') ||
    host === '0.0.0.0'
  );
}

/**
 * The caller stopped the client (Ctrl+C) while a request was in flight or waiting to be retried.
 * Exit code 1: a V2kError cannot carry 130, and main.ts keeps that for a second signal.
 */
export function interruptedError(method: string, url: string, cause?: unknown): V2kError {
  const changes = method !== 'GET';
  return new V2kError('Interrupted.', {
    code: 'interrupted',
    exitCode: ExitCode.FAILURE,
    hint: `Stopped waiting for ${method} ${url}.${changes ? ' The server may still have carried it out: check before running it again.' : ''}`,
    cause,
  });
}

/** A body as one short line, for messages. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return clip(flat, 120) || 'empty';
}
