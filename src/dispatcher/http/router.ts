import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Named path segments, e.g. `:id`. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The user the Bearer key maps to; set on routes with `auth: 'user'`. */
  user: string;
  /** The request body, already read under the size cap. */
  rawBody: Buffer;
  /** The body parsed as JSON: 415 when it is not JSON, 400 when it does not parse. */
  json(): unknown;
}

/** What a handler answers: JSON, text/HTML, nothing (204), or `undefined` when it wrote `res` itself (streams). */
export type Reply =
  | { status: number; json?: unknown; headers?: Record<string, string> }
  | { status: number; body: string | Buffer; contentType: string; headers?: Record<string, string> }
  | undefined;

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** `/api/webhooks/:id/deliveries/:deliveryId` */
  path: string;
  /** 'user': needs a Bearer key (401 otherwise); 'none': open (health, the local monitoring page). */
  auth: 'user' | 'none';
  handler(ctx: RequestContext): Reply | Promise<Reply>;
}

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** A route table: the dispatcher's API, /healthz, and whatever else is mounted (the monitoring page). */
export function createRouter(routes: readonly Route[]) {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const names: string[] = [];
    const source = route.path
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    return { ...route, pattern: new RegExp(`^${source}/?$`), names };
  });

  return {
    /** The route for a request, or an HttpError: 404 for an unknown path, 405 for a known path and another method. */
    match(method: string, pathname: string): Match {
      const allowed = new Set<string>();
      for (const route of compiled) {
        const found = route.pattern.exec(pathname);
        if (!found) continue;
        if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
          allowed.add(route.method);
          continue;
        }
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = safeDecode(found[i + 1] as string);
        });
        return { route, params };
      }
      if (allowed.size > 0) {
        const allow = [...allowed].join(', ');
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${pathname}; use ${allow}.`, {
          allow,
        });
      }
      throw new HttpError(
        404,
        'not_found',
        `No endpoint ${method} ${pathname}. The API lives under /api/webhooks and /api/events.`,
      );
    },
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // malformed escapes stay as sent: such an id matches nothing, so the answer is a 404
  }
}
