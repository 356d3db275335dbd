import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BODY_MEMORY_BUDGET_BYTES, BUSY_RETRY_AFTER_SECONDS, MAX_BODY_BYTES } from '../../core/limits.js';
import { BodyError, createBodyReader } from '../../http/body.js';
import { createTimedServer } from '../../http/server.js';
import type { DatabaseWatch, StoreProblem } from '../store/health.js';
import { parseJson, tooLarge } from './body.js';
import { HttpError } from './errors.js';
import type { createRouter, Reply, RequestContext } from './router.js';

export interface ApiServerOptions {
  router: ReturnType<typeof createRouter>;
  /** A client must have sent its whole request (headers and body) within this; else 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** The user a Bearer key belongs to, or undefined. */
  authenticate: (key: string) => string | undefined;
  /** The database's state: a write into a deleted file is refused, a full disk answered 507 (issue 16). */
  store?: Pick<DatabaseWatch, 'beforeWrite' | 'failed'>;
  onError: (error: unknown) => void;
  /** Where a store problem is reported, once each time it starts. */
  warn?: (message: string) => void;
}

/** node:http around the route table: Bearer auth before the body, body cap and memory budget, JSON answers, and no request can crash it. */
export function createApiServer(options: ApiServerOptions): Server {
  const { router, authenticate, onError, requestTimeoutMs, store } = options;
  const bodies = createBodyReader({ limit: MAX_BODY_BYTES, budgetBytes: BODY_MEMORY_BUDGET_BYTES });
  let reported: string | undefined;
  const server = createTimedServer(requestTimeoutMs, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const problem = store?.failed(error);
      if (problem !== undefined) {
        if (reported !== problem.code) (options.warn ?? onError)(problem.message);
        reported = problem.code;
        if (!res.headersSent) sendProblem(res, problem);
        else res.destroy();
        return;
      }
      onError(error);
      if (!res.headersSent)
        send(res, {
          status: 500,
          json: errorBody('internal_error', 'The dispatcher failed on this request; see its log.'),
        });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let bodyRead = false;
    try {
      const { pathname, query } = target(req.url ?? '/');
      const method = (req.method ?? 'GET').toUpperCase();
      refuseDuplicates(req);
      const { route, params } = router.match(method, pathname);
      let user = '';
      // The key is checked before a byte of the body is held (issue 16): without one, a body costs nothing.
      if (route.auth === 'user') user = authorize(req.headers.authorization);
      // A database deleted under a running dispatcher still takes writes, into a file no restart will find.
      if (method !== 'GET' && method !== 'HEAD') {
        const problem = store?.beforeWrite();
        if (problem !== undefined) throw problemError(problem);
      }
      bodyRead = true;
      const rawBody = await readBody(req, res);
      let parsed: { value: unknown } | undefined;
      const ctx: RequestContext = {
        req,
        res,
        params,
        query,
        user,
        rawBody,
        json: () => (parsed ??= { value: parseJson(req, rawBody) }).value,
      };
      const reply = await route.handler(ctx);
      if (reply !== undefined) send(res, reply, method === 'HEAD');
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      // Refused before its body was read: read it to its end, holding none of it, so the client
      // still writing it sees this answer rather than a reset.
      if (!bodyRead) await bodies.discard(req);
      send(res, { status: error.status, json: errorBody(error.code, error.message), headers: error.headers });
    }
  }

  async function readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
    try {
      return await bodies.read(req, res);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      if (error.reason === 'too_large') throw tooLarge(MAX_BODY_BYTES);
      if (error.reason === 'busy')
        throw new HttpError(
          503,
          'busy',
          `The dispatcher holds as many request bodies as it may right now; retry in ${BUSY_RETRY_AFTER_SECONDS} s.`,
          { 'retry-after': String(BUSY_RETRY_AFTER_SECONDS) },
        );
      throw new HttpError(400, 'aborted', 'The request was aborted before its body was complete.');
    }
  }

  function authorize(header: string | undefined): string {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) {
      throw new HttpError(
        401,
        'unauthorized',
        'Missing API key. Send it as "Authorization: Bearer <key>" (the dispatcher prints its dev key when it starts).',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    const user = authenticate(match[1] as string);
    if (user === undefined) {
      throw new HttpError(
        401,
        'unauthorized',
        'Unknown API key. Use the key the dispatcher printed at start, or one given with --user-key KEY:USER.',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    return user;
  }

  return server;
}

/** A plain path (letters, digits, `_`, `-`, `/`; no dot segment, escape or query) is its own pathname: no URL to parse. */
const PLAIN_PATH = /^\/(?!\/)[\w\-/]*$/;

function target(url: string): { pathname: string; query: URLSearchParams } {
  if (PLAIN_PATH.test(url)) return { pathname: url, query: new URLSearchParams() };
  const parsed = new URL(url, 'http://dispatcher.invalid');
  return { pathname: parsed.pathname, query: parsed.searchParams };
}

/** Headers whose second copy would be silently dropped or merged by Node: a request that sends two is ambiguous. */
const SINGLE_HEADERS = ['authorization', 'content-type', 'idempotency-key'] as const;
const SINGLE_LENGTHS = new Set(SINGLE_HEADERS.map((name) => name.length));

/** Read from the raw header list: `headersDistinct` builds an array for every header of every request. */
function refuseDuplicates(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  let seen: string[] | undefined;
  let twice: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (!SINGLE_LENGTHS.has(name.length)) continue;
    const lower = name.toLowerCase();
    if (!(SINGLE_HEADERS as readonly string[]).includes(lower)) continue;
    if (seen?.includes(lower)) (twice ??= new Set()).add(lower);
    else (seen ??= []).push(lower);
  }
  if (twice === undefined) return;
  const name = SINGLE_HEADERS.find((single) => twice.has(single));
  throw new HttpError(400, 'duplicate_header', `The ${name} header was sent more than once; send it once.`);
}

/** 507 for a full disk (the client may retry once space is freed), 503 for a store that cannot be written. */
function problemError(problem: StoreProblem): HttpError {
  return new HttpError(problem.code === 'insufficient_storage' ? 507 : 503, problem.code, problem.message);
}

function sendProblem(res: ServerResponse, problem: StoreProblem): void {
  const error = problemError(problem);
  send(res, { status: error.status, json: errorBody(error.code, error.message) });
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function send(res: ServerResponse, reply: NonNullable<Reply>, headOnly = false): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...reply.headers };
  let body: string | Buffer | undefined;
  if ('body' in reply) {
    headers['content-type'] = reply.contentType;
    body = reply.body;
  } else if (reply.json !== undefined && reply.status !== 204) {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(reply.json);
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, headers);
  res.end(headOnly ? undefined : body);
}
