import type { DispatcherContext } from '../context.js';
import { tokenMatcher } from '../keys.js';
import { HttpError, notFound } from '../http/errors.js';
import type { RequestContext, Route } from '../http/router.js';
import { toDelivery } from '../store/index.js';
import { createFigures } from './figures.js';
import { buildOverview } from './overview.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './page.js';

const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const WEBHOOK_ID = /^wh_[A-Za-z0-9]{1,64}$/;

/** An overview this recent is sent again as it is: the page polls every 2 s, so it never shows. */
const OVERVIEW_REUSE_MS = 250;
/** Filters whose overview is kept for reuse, at most. */
const MAX_REUSED = 64;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/**
 * On a loopback dispatcher, only pages loaded from a loopback name may read the overview: a web
 * page on another site that rebinds its own name to 127.0.0.1 (DNS rebinding) sends its own
 * Host header and gets 403. Bound elsewhere on purpose (--host), the operator chose the network.
 */
function checkHost(hostHeader: string | undefined, boundHost: string): void {
  if (!LOOPBACK.test(boundHost)) return;
  const name = (hostHeader ?? '').replace(/:\d+$/, '');
  if (!LOOPBACK.test(name)) {
    throw new HttpError(
      403,
      'forbidden_host',
      `The monitoring page answers only to a loopback host name (127.0.0.1 or localhost), not ${JSON.stringify(name.slice(0, 100))}.`,
    );
  }
}

/**
 * The monitoring page (SPEC §4 `/admin/webhooks`, issue 6) and the JSON it polls. The page is
 * an operator's view across users, so its JSON shows every user's URLs (which often carry
 * tokens) and receivers' answers: it needs the token the dispatcher prints in the page's URL
 * (issue 16), which the page passes on. The page itself holds no data and loads without it. The
 * Host check keeps other web sites from reading it through a browser. Never a secret: the
 * overview is built field by field, not from whole rows.
 */
export function adminRoutes(app: DispatcherContext, token: string): Route[] {
  const { store } = app;
  const matches = tokenMatcher(token);
  // Kept across polls and refreshed with what was written since the last one (issue 16).
  const figures = createFigures(store);
  // Pages polling together (several tabs, a queue of polls) share one overview for a moment.
  const recent = new Map<string, { at: number; body: string }>();
  const page = (
    req: RequestContext,
  ): { status: number; body: string; contentType: string; headers: Record<string, string> } => {
    checkHost(req.req.headers.host, app.settings.host);
    return { status: 200, body: DASHBOARD_HTML, contentType: 'text/html; charset=utf-8', headers: PAGE_HEADERS };
  };
  const guard = (req: RequestContext): void => {
    checkHost(req.req.headers.host, app.settings.host);
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.req.headers.authorization ?? '')?.[1];
    if (!matches(req.query.get('token') ?? bearer)) {
      throw new HttpError(
        401,
        'unauthorized',
        "The monitoring page's data needs the token the dispatcher printed at start: open the whole URL it printed (/admin/webhooks?token=…), or send ?token=.",
      );
    }
  };
  return [
    { method: 'GET', path: '/admin/webhooks', auth: 'none', handler: page },
    { method: 'GET', path: '/admin', auth: 'none', handler: page },
    {
      method: 'GET',
      path: '/admin/api/overview',
      auth: 'none',
      async handler(req) {
        guard(req);
        const webhook = req.query.get('webhook') || null;
        if (webhook !== null && !WEBHOOK_ID.test(webhook)) {
          throw new HttpError(400, 'validation_failed', 'The webhook filter must be a webhook id such as wh_abc123.');
        }
        if (webhook !== null && !store.webhooks.getById(webhook)) throw notFound(`webhook ${webhook}`);
        const key = webhook ?? '';
        const fresh = (): { at: number; body: string } | undefined => {
          const found = recent.get(key);
          return found !== undefined && performance.now() - found.at < OVERVIEW_REUSE_MS ? found : undefined;
        };
        let cached = fresh();
        if (cached === undefined) await figures.refresh();
        // Polls that waited for the same refresh share the overview the first of them builds.
        cached ??= fresh();
        if (cached === undefined) {
          cached = {
            at: performance.now(),
            body: JSON.stringify(buildOverview(store, webhook, app.now(), figures, app.settings.chaosSpec ?? null)),
          };
          if (recent.size >= MAX_REUSED) recent.clear();
          recent.set(key, cached);
        }
        return {
          status: 200,
          body: cached.body,
          contentType: 'application/json; charset=utf-8',
          headers: { 'cache-control': 'no-store' },
        };
      },
    },
    {
      method: 'GET',
      path: '/admin/api/webhooks/:id/deliveries/:deliveryId',
      auth: 'none',
      handler(req) {
        guard(req);
        const row = store.deliveries.getForWebhook(req.params.deliveryId ?? '', req.params.id ?? '');
        if (!row) throw notFound(`delivery ${req.params.deliveryId} of webhook ${req.params.id}`);
        const attempts = store.attempts.forDeliveries([row.id]).get(row.id) ?? [];
        return { status: 200, json: toDelivery(row, attempts), headers: { 'cache-control': 'no-store' } };
      },
    },
  ];
}
