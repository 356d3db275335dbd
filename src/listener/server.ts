import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatBytes } from '../core/bytes.js';
import { UsageError, V2kError } from '../core/errors.js';
import {
  BODY_MEMORY_BUDGET_BYTES,
  BUSY_RETRY_AFTER_SECONDS,
  isPort,
  MAX_BODY_BYTES,
  MAX_PORT,
  MAX_TIMER_MS,
} from '../core/limits.js';
import { BodyError, createBodyReader } from '../http/body.js';
import { createTimedServer } from '../http/server.js';
import { InFlight } from '../core/in-flight.js';
import { HEADER } from '../core/signature.js';
import { isoTime } from '../core/time.js';
import { createForwarder, type ForwardAnswer } from './forwarder.js';
import { answerHeaders, forwardableHeaders, headerRecord } from './headers.js';
import { createRecorder, encodeBody, type Recorder } from './recorder.js';
import { summarize } from './summary.js';
import { parseTarget, routeFor, TargetError, type Target } from './targets.js';
import type { Listener, ListenerEvent, ListenerLogger, ListenerOptions } from './types.js';
import { createDeliveryChecker } from './verdict.js';

import { DEFAULT_DISPATCHER_PORT, DEFAULT_FORWARD_TIMEOUT_MS, DEFAULT_LISTEN_PORT } from '../core/defaults.js';

export { DEFAULT_FORWARD_TIMEOUT_MS, MAX_BODY_BYTES };
export const DEFAULT_PORT = DEFAULT_LISTEN_PORT;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const SILENT: ListenerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Starts the verifying relay of SPEC §5: reads each POST's raw body (413 over 1 MiB), verifies it,
 * records it, forwards the exact bytes to every matching target and answers the sender with the
 * first target's status and body (502 app unreachable, 504 app too slow; 200 with no target, or
 * 401 with `rejectInvalid` when the signature does not verify).
 */
export async function createListener(options: ListenerOptions = {}): Promise<Listener> {
  const logger = options.logger ?? SILENT;
  const now = options.now ?? Date.now;
  const targets = parseTargets(options.forward ?? []);
  // Throws SecretError for a secret anyone could sign with, before anything is opened.
  const checker = createDeliveryChecker({
    secrets: options.secrets ?? [],
    toleranceSeconds: options.toleranceSeconds,
    now,
  });
  const port = options.port ?? DEFAULT_PORT;
  if (!isPort(port))
    throw new UsageError(
      `The port must be a whole number from 0 to ${MAX_PORT} (got ${port}).`,
      'Pass --port 0 for any free port.',
    );
  const forwardTimeoutMs = checkTimeout(options.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS, 'forward');
  const requestTimeoutMs = checkTimeout(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'request');
  const recorder = options.record === undefined ? undefined : await openRecorder(options.record, logger);
  const forwarder = createForwarder({ timeoutMs: forwardTimeoutMs, now });
  const inflight = new InFlight();

  // listen has no key to check first: every sender may send a body, so the one defence is the
  // budget of bodies held at once; past it a sender gets 503 + Retry-After and comes back (issue 16).
  const bodies = createBodyReader({ limit: MAX_BODY_BYTES, budgetBytes: BODY_MEMORY_BUDGET_BYTES });
  const server = createTimedServer(requestTimeoutMs, (req, res) => {
    inflight.start();
    handle(req, res).then(
      () => inflight.end(),
      (error: unknown) => {
        inflight.end();
        logger.error(
          `Internal error while handling ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`,
        );
        if (!res.headersSent)
          sendJson(res, 500, {
            error: { code: 'listener_error', message: 'The listener failed on this request; see its log.' },
          });
        else res.destroy();
      },
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      if (req.method === 'GET' || req.method === 'HEAD')
        return sendJson(res, 200, { ok: true, listener: 'v2k-webhooks listen', send: 'POST deliveries here' });
      res.setHeader('allow', 'GET, HEAD, POST');
      return sendJson(res, 405, {
        error: { code: 'method_not_allowed', message: 'The listener takes webhook deliveries as POST.' },
      });
    }
    let body: Buffer;
    try {
      body = await bodies.read(req, res);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      return refuseBody(req, res, error);
    }

    const receivedAt = isoTime(now());
    const { verdict, event, payload } = checker.check(body, req.headers);
    recorder?.append({
      receivedAt,
      method: req.method,
      path: req.url ?? '/',
      headers: headerRecord(req.rawHeaders),
      ...encodeBody(body),
      verdict: { ok: verdict.ok, reason: verdict.reason },
    });

    const record: ListenerEvent = {
      type: 'event',
      receivedAt,
      method: req.method,
      path: req.url ?? '/',
      event: event ?? null,
      eventId: header(req, HEADER.eventId) ?? null,
      deliveryId: header(req, HEADER.delivery) ?? header(req, HEADER.webhookId) ?? null,
      attempt: attemptOf(header(req, HEADER.attempt)),
      verdict,
      summary: summarize(event, (payload as { data?: unknown } | undefined)?.data),
      bytes: body.length,
      payload: payload ?? null,
      forwards: [],
      status: 200,
    };

    if (options.rejectInvalid && !verdict.ok) {
      record.status = 401;
      sendJson(res, 401, { error: { code: verdict.reason, message: `${verdict.label}: ${verdict.message}` } });
    } else {
      const routes = routeFor(targets, event);
      if (routes.length === 0) {
        sendJson(res, 200, { received: true, verdict: verdict.reason, forwarded: false });
      } else {
        const headers = forwardableHeaders(req.rawHeaders);
        const answers = routes.map((t) => forwarder.forward(t.url, headers, body));
        const first = await (answers[0] as Promise<ForwardAnswer>);
        record.status = answer(res, first);
        const all = answers.length === 1 ? [first] : await Promise.all(answers);
        record.forwards = all.map(({ url, status, ms, error }, i) => ({
          url,
          status,
          ms,
          ...(error ? { error } : {}),
          answered: i === 0,
        }));
      }
    }
    try {
      options.onEvent?.(record);
    } catch (error) {
      logger.error(`The onEvent callback threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  function refuseBody(req: IncomingMessage, res: ServerResponse, error: BodyError): void {
    if (error.reason === 'aborted') return;
    if (error.reason === 'busy') {
      logger.warn(`Turned away a delivery to ${req.url} (503): too many bodies are held in memory right now.`);
      res.setHeader('retry-after', String(BUSY_RETRY_AFTER_SECONDS));
      return sendJson(res, 503, {
        error: {
          code: 'busy',
          message: `The listener holds as many request bodies as it may right now; retry in ${BUSY_RETRY_AFTER_SECONDS} s.`,
        },
      });
    }
    logger.warn(`Rejected a delivery to ${req.url}: its body is over ${formatBytes(MAX_BODY_BYTES)} (413).`);
    res.setHeader('connection', 'close');
    return sendJson(res, 413, {
      error: { code: 'payload_too_large', message: `The body is over ${formatBytes(MAX_BODY_BYTES)}.` },
    });
  }

  const boundPort = await listen(server, port, options.host ?? '127.0.0.1').catch(async (error: unknown) => {
    await Promise.all([forwarder.close(), recorder?.close()]);
    throw error;
  });
  const host = options.host ?? '127.0.0.1';
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${shownHost}:${boundPort}/`,
    port: boundPort,
    addSecret(secret) {
      checker.addSecret(secret);
    },
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Deliveries in flight finish (their forwards are bounded by the timeout); a sender stalled
        // mid-body does not hold the shutdown past that.
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([
          inflight.idle(),
          new Promise((resolve) => (grace = setTimeout(resolve, Math.min(MAX_TIMER_MS, forwardTimeoutMs + 1_000)))),
        ]);
        clearTimeout(grace);
        server.closeAllConnections();
        await inflight.idle();
        await closed;
        await Promise.all([forwarder.close(), recorder?.close()]);
      })();
      return closing;
    },
  };
}

/** A timeout a timer can hold (issue 16: a longer one fired at once, so every forward "timed out" in 1 ms). */
function checkTimeout(ms: number, which: string): number {
  if (!(ms >= 1 && ms <= MAX_TIMER_MS))
    throw new UsageError(
      `The ${which} timeout must be from 1 ms to ${MAX_TIMER_MS} ms (about 24.8 days), the longest a timer holds (got ${ms}).`,
    );
  return ms;
}

/** Sends the first target's answer back: its status and body, or 502/504 when it gave none. */
function answer(res: ServerResponse, first: ForwardAnswer): number {
  if (first.error) {
    const status = first.error.kind === 'timeout' ? 504 : 502;
    const code =
      first.error.kind === 'timeout'
        ? 'app_timeout'
        : first.error.kind === 'too_large'
          ? 'app_answer_too_large'
          : 'app_unreachable';
    sendJson(res, status, { error: { code, message: first.error.message } });
    return status;
  }
  const status = first.status as number;
  try {
    res.writeHead(status, answerHeaders(first.headers));
  } catch {
    res.writeHead(status); // a header Node will not send again; the status and body still go back
  }
  res.end(first.body);
  return status;
}

function parseTargets(specs: readonly string[]): Target[] {
  return specs.map((spec) => {
    try {
      return parseTarget(spec);
    } catch (error) {
      if (error instanceof TargetError)
        throw new UsageError(
          error.message,
          'Use --forward localhost:3000, --forward http://host:port/path, or --forward "trade.*=localhost:3000/trades".',
        );
      throw error;
    }
  });
}

async function openRecorder(file: string, logger: ListenerLogger): Promise<Recorder> {
  try {
    return await createRecorder(file, logger);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(
      `Cannot open the record file ${file}: ${code}.`,
      'Check that its directory exists and is writable.',
    );
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new V2kError(`Port ${port} on ${host} is already in use.`, {
            code: 'port_in_use',
            hint: `Pass --port with a free port (--port 0 picks one). \`listen\` defaults to ${DEFAULT_LISTEN_PORT}, \`v2k-webhooks dispatcher\` to ${DEFAULT_DISPATCHER_PORT}.`,
          }),
        );
      } else
        reject(
          new V2kError(`Cannot listen on ${host}:${port}: ${error.code ?? error.message}.`, {
            code: 'listen_failed',
            hint: 'Check --host and --port.',
          }),
        );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function attemptOf(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : null;
}
