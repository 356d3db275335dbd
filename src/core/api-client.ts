import { request as undiciRequest, type Dispatcher } from 'undici';
import type {
  CreateWebhookInput,
  Delivery,
  EmitEventAnswer,
  EmitEventInput,
  ListDeliveriesQuery,
  RedeliverAnswer,
  TestAnswer,
  UpdateWebhookInput,
  Webhook,
  WebhookWithSecret,
  WebhookWithStats,
} from './api-types.js';
import { ApiError, ExitCode, UsageError, V2kError, readApiErrorBody } from './errors.js';
import { USER_AGENT } from './version.js';

export interface ApiClientOptions {
  /** The platform's base URL, e.g. `https://v2k-music.com` or a local dispatcher's `http://127.0.0.1:4000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Per attempt, headers and body included. Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts after a network error or a 5xx, for idempotent requests only. Default 2. */
  retries?: number;
  userAgent?: string;
  /** Base of the exponential back-off between retries, in ms. Default 200. */
  retryDelayMs?: number;
  /** An undici dispatcher (agent, mock…); default undici's global one. */
  dispatcher?: Dispatcher;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Names the thing a 404 is about ("webhook wh_…"), so the error says which id was not found. */
  subject?: string;
}

/** The V2K REST API (SPEC §3). Every non-2xx answer rejects with an `ApiError`. */
export interface ApiClient {
  readonly baseUrl: string;
  /** One HTTP call: timeout, retries for idempotent methods, errors as `ApiError` / `V2kError`. */
  request<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T>;
  listWebhooks(): Promise<Webhook[]>;
  createWebhook(input: CreateWebhookInput): Promise<WebhookWithSecret>;
  getWebhook(id: string): Promise<WebhookWithStats>;
  updateWebhook(id: string, patch: UpdateWebhookInput): Promise<Webhook>;
  deleteWebhook(id: string): Promise<void>;
  testWebhook(id: string): Promise<TestAnswer>;
  rotateSecret(id: string): Promise<WebhookWithSecret>;
  listDeliveries(id: string, query?: ListDeliveriesQuery): Promise<Delivery[]>;
  getDelivery(id: string, deliveryId: string): Promise<Delivery>;
  redeliver(id: string, deliveryId: string): Promise<RedeliverAnswer>;
  /** `POST /api/events`; with an idempotency key the call is safe to retry, so it is retried like a GET. */
  emitEvent(input: EmitEventInput, options?: { idempotencyKey?: string }): Promise<EmitEventAnswer>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** Larger answers are cut off: no API answer of SPEC §3 comes near it. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
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

/**
 * A client of the V2K REST API, for the real platform and the dispatcher alike.
 *
 * ```ts
 * const api = createApiClient({ baseUrl: 'http://127.0.0.1:4000', apiKey });
 * const hook = await api.createWebhook({ url: 'https://example.com/hook', events: ['trade.completed'] });
 * ```
 */
export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = parseBaseUrl(options.baseUrl);
  const baseUrl = base.href.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = Math.max(0, options.retries ?? 2);
  const retryDelayMs = options.retryDelayMs ?? 200;
  const headersBase: Record<string, string> = {
    accept: 'application/json',
    'user-agent': options.userAgent ?? USER_AGENT,
  };
  if (options.apiKey) headersBase.authorization = `Bearer ${options.apiKey}`;

  async function request<T>(method: HttpMethod, path: string, req: RequestOptions = {}): Promise<T> {
    const url = buildUrl(baseUrl, path, req.query);
    const headers: Record<string, string> = { ...headersBase };
    for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    // Retrying a POST could create a second webhook or event; an Idempotency-Key makes it safe (SPEC §3).
    const idempotent = (method !== 'POST' && method !== 'PATCH') || Boolean(headers['idempotency-key']);
    const attempts = idempotent ? retries + 1 : 1;

    for (let attempt = 1; ; attempt++) {
      const last = attempt >= attempts;
      let answer: { status: number; text: string };
      try {
        answer = await send(url, method, headers, body);
      } catch (error) {
        if (!last && isNetworkError(error)) {
          await delay(retryDelayMs * 2 ** (attempt - 1));
          continue;
        }
        throw networkError(error, url, method);
      }
      if (answer.status >= 500 && !last) {
        await delay(retryDelayMs * 2 ** (attempt - 1));
        continue;
      }
      if (answer.status < 200 || answer.status >= 300) throw apiError(answer.status, answer.text, method, url, req.subject);
      if (answer.status === 204 || answer.text.trim() === '') return undefined as T;
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        throw new V2kError(`${method} ${url} answered HTTP ${answer.status} with a body that is not JSON (${preview(answer.text)}).`, {
          code: 'bad_response',
          hint: `Is ${baseUrl} the V2K API? Check --api-url or V2K_API_URL.`,
        });
      }
    }
  }

  async function send(url: string, method: HttpMethod, headers: Record<string, string>, body: string | undefined) {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await undiciRequest(url, { method, headers, body, signal, dispatcher: options.dispatcher });
      return { status: response.statusCode, text: await readCapped(response.body) };
    } catch (error) {
      if (signal.aborted) {
        throw new V2kError(`${method} ${url} got no answer within ${formatMs(timeoutMs)}.`, {
          code: 'timeout',
          hint: 'The API may be overloaded or unreachable; try again, or check --api-url.',
          cause: error,
        });
      }
      throw error;
    }
  }

  async function list<T>(path: string, query?: RequestOptions['query'], subject?: string): Promise<T[]> {
    const answer = await request<unknown>('GET', path, { query, subject });
    // The platform answers {"data": [...]}; some versions answer a bare array (issue 4).
    if (Array.isArray(answer)) return answer as T[];
    const data = (answer as { data?: unknown } | null)?.data;
    if (Array.isArray(data)) return data as T[];
    throw new V2kError(`GET ${baseUrl}${path} answered something other than a list (${preview(JSON.stringify(answer) ?? '')}).`, {
      code: 'bad_response',
      hint: `Is ${baseUrl} the V2K API? Check --api-url or V2K_API_URL.`,
    });
  }

  const hook = (id: string) => `/api/webhooks/${encodeURIComponent(id)}`;
  const webhookSubject = (id: string) => `webhook ${id}`;

  return {
    baseUrl,
    request,
    listWebhooks: () => list<Webhook>('/api/webhooks'),
    createWebhook: (input) => request('POST', '/api/webhooks', { body: input }),
    getWebhook: (id) => request('GET', hook(id), { subject: webhookSubject(id) }),
    updateWebhook: (id, patch) => request('PATCH', hook(id), { body: patch, subject: webhookSubject(id) }),
    deleteWebhook: async (id) => {
      await request<void>('DELETE', hook(id), { subject: webhookSubject(id) });
    },
    testWebhook: (id) => request('POST', `${hook(id)}/test`, { subject: webhookSubject(id) }),
    rotateSecret: (id) => request('POST', `${hook(id)}/rotate-secret`, { subject: webhookSubject(id) }),
    listDeliveries: (id, query = {}) =>
      list<Delivery>(`${hook(id)}/deliveries`, { status: query.status, limit: query.limit }, webhookSubject(id)),
    getDelivery: (id, deliveryId) =>
      request('GET', `${hook(id)}/deliveries/${encodeURIComponent(deliveryId)}`, {
        subject: `delivery ${deliveryId} of webhook ${id}`,
      }),
    redeliver: (id, deliveryId) =>
      request('POST', `${hook(id)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`, {
        subject: `delivery ${deliveryId} of webhook ${id}`,
      }),
    emitEvent: (input, opts = {}) =>
      request('POST', '/api/events', {
        body: input,
        headers: opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined,
      }),
  };
}

function parseBaseUrl(value: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UsageError(
      `The API URL ${JSON.stringify(value)} is not an http(s) URL.`,
      'Pass --api-url such as https://v2k-music.com or http://127.0.0.1:4000 (a local dispatcher).',
    );
  }
  if (url.username || url.password) {
    throw new UsageError('The API URL must not hold credentials.', 'Pass the key with --api-key or V2K_API_KEY instead.');
  }
  url.search = '';
  url.hash = '';
  return url;
}

function buildUrl(baseUrl: string, path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return `${baseUrl}${path}${search ? `?${search}` : ''}`;
}

function apiError(status: number, text: string, method: string, url: string, subject: string | undefined): ApiError {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    body = text; // a proxy's HTML page, say: kept as text for the person debugging
  }
  const server = readApiErrorBody(body);
  const detail = server ? `${server.message}` : `${method} ${url} answered HTTP ${status}${text ? ` (${preview(text)})` : ''}.`;
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
      message: `${server.message} (HTTP 409 limit_reached: at most 10 webhooks per account).`,
      hint: 'Delete one you no longer need: `v2k-webhooks list`, then `v2k-webhooks delete <id>`.',
    });
  }
  if (status === 409 && server?.code === 'webhook_disabled') {
    return new ApiError(status, body, {
      message: `${server.message} (HTTP 409 webhook_disabled).`,
      hint: `Enable it first: \`v2k-webhooks update ${subject?.replace(/^webhook /, '') ?? '<id>'} --enable\`.`,
    });
  }
  return new ApiError(status, body, {
    message: server ? `${detail} (HTTP ${status} ${server.code})` : detail,
    hint: status >= 500 ? 'The server failed; try again in a moment.' : status === 413 ? 'Send a smaller body (at most 1 MiB).' : undefined,
  });
}

/** Transient network failures. A refused connection or an unknown host is not retried: nothing listens there, and waiting will not change that. */
function isNetworkError(error: unknown): boolean {
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

function networkError(error: unknown, url: string, method: string): V2kError {
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
    hint: local ? 'Is the dispatcher still running? Start one with `v2k-webhooks dispatcher`.' : 'Check --api-url or V2K_API_URL, and your network.',
    cause: error,
  });
}

function isLocalHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host.startsWith('127.') || host === '0.0.0.0';
}

async function readCapped(body: AsyncIterable<Uint8Array> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy?.();
      break;
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat || 'empty';
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
