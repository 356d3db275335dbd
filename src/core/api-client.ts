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
import { apiError, interruptedError, isRetryableNetworkError, networkError, preview } from './api-errors.js';
import { formatDuration } from './duration.js';
import { UsageError, V2kError } from './errors.js';
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
  /**
   * Stops the client (the CLI's Ctrl+C): the request in flight is cut, no retry or back-off
   * follows, and the call rejects with a V2kError "Interrupted." (code `interrupted`).
   */
  signal?: AbortSignal;
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
  /** How long one attempt may wait for its answer, in ms. */
  readonly timeoutMs: number;
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
  const stop = options.signal;
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
      if (stop?.aborted) throw interruptedError(method, url);
      const last = attempt >= attempts;
      let answer: { status: number; text: string };
      try {
        answer = await send(url, method, headers, body);
      } catch (error) {
        if (!last && isRetryableNetworkError(error)) {
          await delay(retryDelayMs * 2 ** (attempt - 1), stop);
          continue;
        }
        throw networkError(error, url, method);
      }
      if (answer.status >= 500 && !last) {
        await delay(retryDelayMs * 2 ** (attempt - 1), stop);
        continue;
      }
      if (answer.status < 200 || answer.status >= 300)
        throw apiError(answer.status, answer.text, method, url, req.subject);
      if (answer.status === 204 || answer.text.trim() === '') return undefined as T;
      try {
        return JSON.parse(answer.text) as T;
      } catch {
        throw new V2kError(
          `${method} ${url} answered HTTP ${answer.status} with a body that is not JSON (${preview(answer.text)}).`,
          {
            code: 'bad_response',
            hint: `Is ${baseUrl} the V2K API? Check --api-url or V2K_API_URL.`,
          },
        );
      }
    }
  }

  async function send(url: string, method: HttpMethod, headers: Record<string, string>, body: string | undefined) {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = stop ? AbortSignal.any([timeout, stop]) : timeout;
    try {
      const response = await undiciRequest(url, { method, headers, body, signal, dispatcher: options.dispatcher });
      return { status: response.statusCode, text: await readCapped(response.body) };
    } catch (error) {
      if (stop?.aborted) throw interruptedError(method, url, error);
      if (timeout.aborted) {
        throw new V2kError(`${method} ${url} got no answer within ${formatDuration(timeoutMs)}.`, {
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
    throw new V2kError(
      `GET ${baseUrl}${path} answered something other than a list (${preview(JSON.stringify(answer) ?? '')}).`,
      {
        code: 'bad_response',
        hint: `Is ${baseUrl} the V2K API? Check --api-url or V2K_API_URL.`,
      },
    );
  }

  const hook = (id: string) => `/api/webhooks/${encodeURIComponent(id)}`;
  const webhookSubject = (id: string) => `webhook ${id}`;

  return {
    baseUrl,
    timeoutMs,
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
    throw new UsageError(
      'The API URL must not hold credentials.',
      'Pass the key with --api-key or V2K_API_KEY instead.',
    );
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

/** Waits `ms`, or less when `signal` aborts (the caller then sees it aborted and stops). */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
