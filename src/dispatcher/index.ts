import type { AddressInfo } from 'node:net';
import { V2kError } from '../core/errors.js';
import { adminRoutes } from './admin/index.js';
import type { DispatcherContext } from './context.js';
import { healthRoutes } from './http/routes/health.js';
import { deliveryRoutes } from './http/routes/deliveries.js';
import { eventRoutes } from './http/routes/events.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { createRouter, type Route } from './http/router.js';
import { createApiServer } from './http/server.js';
import { formatChaos, resolveChaos, type ChaosOptions } from './chaos-spec.js';
import { adminToken, resolveUsers, type UserKey } from './keys.js';
import {
  ATTEMPT_TIMEOUT_MS,
  DEFAULT_CONCURRENCY,
  DEFAULT_RATE_LIMIT,
  MAX_TIME_SCALE,
  MIN_TIME_SCALE,
  requestTimeout,
  scaled,
} from './policy.js';
import { createStore } from './store/index.js';
import { createWorker, type AttemptInfo } from './worker.js';

export type { AttemptInfo } from './worker.js';
export type { Route, RequestContext, Reply } from './http/router.js';
export type { DispatcherContext } from './context.js';
export type { ChaosOptions } from './chaos-spec.js';

/** Where the dispatcher reports what it does. Every method is optional. */
export interface DispatcherLogger {
  attempt?(info: AttemptInfo): void;
  warn?(message: string): void;
}

export interface DispatcherOptions {
  /** SQLite file; created with its schema when missing. */
  dbPath: string;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Multiplies every duration of SPEC §4 (retry delays, the 10 s timeout, the 60 s rate window). Default 1. */
  timeScale?: number;
  /** Attempts per webhook per rate window; default 100, 0 = no limit. */
  rateLimit?: number;
  /** Users' keys (the CLI's `--user-key KEY:USER`). With none, a dev key for `user_dev` is made once and kept in the database. */
  userKeys?: UserKey[];
  /** @deprecated The former name of `userKeys`. */
  apiKeys?: UserKey[];
  /** Attempts in flight at once, shared by every webhook; default 64. A few more are kept for webhooks with none in flight (queue.ts). */
  concurrency?: number;
  /**
   * Chaos delivery, to prove a receiver idempotent (issue 18, docs/chaos.md): some attempts
   * answered 2xx are sent twice, some deliveries held back so later ones go first, attempts sent
   * late — each marked in `AttemptInfo.chaos`. The CLI's spec (`'duplicate=0.1,reorder=0.2,delay=0-2s'`)
   * or the same as an object. Default: none.
   */
  chaos?: string | ChaosOptions;
  /** Called after every attempt. */
  onAttempt?: (info: AttemptInfo) => void;
  logger?: DispatcherLogger;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** Extra routes, mounted after the API and the monitoring page. */
  routes?: Route[];
}

export interface Dispatcher {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  host: string;
  /** The monitoring page with its token: `url + '/admin/webhooks?token=…'`. */
  adminUrl: string;
  /** The token the monitoring page's JSON requires; kept in the database, so the same across restarts. */
  adminToken: string;
  /** The dev key, when no `userKeys` were given. */
  devKey: string | undefined;
  /** With `chaos`: the spec it runs with, seed included, which replays its decisions (`duplicate=0.1,…,seed=42`). */
  chaos: string | undefined;
  /** Stops taking requests and deliveries, lets attempts in flight finish (or releases them), closes the database. */
  close(): Promise<void>;
}

export { DEV_USER } from './keys.js';
const DEFAULT_PORT = 4000;

/**
 * Starts the offline emulator of the V2K platform's webhook side (SPEC §3, §4): the REST
 * API, the SQLite store and the delivery worker. Use it inside test suites; `close()` it after.
 */
export async function createDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const settings = checkOptions(options);
  const now = options.now ?? Date.now;
  const { logger } = options;
  // Called on the logger, so a logger that is a class instance keeps its `this`.
  const warn = logger?.warn
    ? (message: string) => logger.warn?.(message)
    : (message: string) => process.emitWarning(message, 'V2kDispatcherWarning');
  const onError = (error: unknown): void =>
    warn(error instanceof Error ? (error.stack ?? error.message) : String(error));
  const store = createStore({ path: options.dbPath, now, warn });

  try {
    const { users, devKey } = resolveUsers(options.userKeys ?? options.apiKeys, store);
    const token = adminToken(store);
    const worker = createWorker({
      store,
      now,
      timeScale: settings.timeScale,
      rateLimit: settings.rateLimit,
      concurrency: settings.concurrency,
      chaos: settings.chaos,
      onError,
      onAttempt(info) {
        options.onAttempt?.(info);
        options.logger?.attempt?.(info);
      },
    });
    const app: DispatcherContext = { store, now, queue: worker.queue, settings };
    const router = createRouter([
      ...healthRoutes(() => store.watch.check()),
      ...webhookRoutes(app),
      ...deliveryRoutes(app),
      ...eventRoutes(app),
      ...adminRoutes(app, token),
      ...(options.routes ?? []),
    ]);
    const server = createApiServer({
      router,
      authenticate: (key) => users.get(key),
      store: store.watch,
      onError,
      warn,
      requestTimeoutMs: requestTimeout(settings.timeScale),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.port, settings.host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      throw new V2kError(`Cannot listen on ${settings.host}:${settings.port}: ${code ?? String(error)}.`, {
        code: 'listen_failed',
        hint:
          code === 'EADDRINUSE'
            ? 'Another program uses this port: pass --port with a free one (or 0 for any).'
            : undefined,
        cause: error,
      });
    });
    server.on('error', onError);
    worker.start();

    const port = (server.address() as AddressInfo).port;
    const hostForUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    const url = `http://${hostForUrl}:${port}`;
    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      host: settings.host,
      adminUrl: `${url}/admin/webhooks?token=${token}`,
      adminToken: token,
      devKey,
      chaos: settings.chaosSpec,
      close() {
        closing ??= (async () => {
          const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
          server.closeIdleConnections();
          // In-flight attempts get the time an attempt may take (the scaled timeout), capped, before being released.
          await worker.stop(Math.min(2_000, scaled(ATTEMPT_TIMEOUT_MS, settings.timeScale)));
          server.closeAllConnections();
          await serverClosed;
          store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

function checkOptions(options: DispatcherOptions) {
  const fail = (message: string): never => {
    throw new V2kError(message, { code: 'invalid_option', exitCode: 2 });
  };
  if (typeof options.dbPath !== 'string' || options.dbPath === '')
    fail('dbPath is required: the SQLite file of the dispatcher.');
  const port = options.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`port must be a whole number from 0 to 65535 (got ${port}).`);
  const timeScale = options.timeScale ?? 1;
  if (!(typeof timeScale === 'number' && timeScale >= MIN_TIME_SCALE && timeScale <= MAX_TIME_SCALE))
    fail(
      `timeScale must be a number from ${MIN_TIME_SCALE} to ${MAX_TIME_SCALE}, so every scaled duration fits a timer (got ${timeScale}).`,
    );
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  if (!Number.isInteger(rateLimit) || rateLimit < 0)
    fail(`rateLimit must be a whole number, 0 for no limit (got ${rateLimit}).`);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    fail(`concurrency must be a whole number above 0 (got ${concurrency}).`);
  if (options.userKeys !== undefined && options.apiKeys !== undefined)
    fail('Give userKeys only (apiKeys is its former name), not both.');
  const chaos = options.chaos === undefined ? undefined : resolveChaos(options.chaos);
  const chaosSpec = chaos === undefined ? undefined : formatChaos(chaos);
  return { port, host: options.host ?? '127.0.0.1', timeScale, rateLimit, concurrency, chaos, chaosSpec };
}
