import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from '../policy.js';
import { parseJson, readBody } from './body.js';
import { HttpError } from './errors.js';
import type { createRouter, Reply, RequestContext } from './router.js';

export interface ApiServerOptions {
  router: ReturnType<typeof createRouter>;
  /** A client must have sent its whole request (headers and body) within this; else 408 and the connection is closed. */
  requestTimeoutMs: number;
  /** The user a Bearer key belongs to, or undefined. */
  authenticate: (key: string) => string | undefined;
  onError: (error: unknown) => void;
}

/** node:http around the route table: body cap, Bearer auth, JSON answers, and no request can crash it. */
export function createApiServer({ router, authenticate, onError, requestTimeoutMs }: ApiServerOptions): Server {
  // Node's defaults (5 min for a request, checked every 30 s) let a client that trickles its body hold a connection for minutes.
  const timeouts = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeoutMs / 4)),
  };
  const server = createServer(timeouts, (req, res) => {
    handle(req, res).catch((error: unknown) => {
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
    try {
      const { pathname, query } = target(req.url ?? '/');
      const method = (req.method ?? 'GET').toUpperCase();
      const rawBody = await readBody(req, MAX_BODY_BYTES);
      refuseDuplicates(req);
      const { route, params } = router.match(method, pathname);
      let user = '';
      if (route.auth === 'user') user = authorize(req.headers.authorization);
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
      send(res, { status: error.status, json: errorBody(error.code, error.message), headers: error.headers });
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
        'Unknown API key. Use the key the dispatcher printed at start, or one given with --api-key KEY:USER.',
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    return user;
  }

  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
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
