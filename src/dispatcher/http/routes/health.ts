import type { Route } from '../router.js';

export function healthRoutes(): Route[] {
  return [{ method: 'GET', path: '/healthz', auth: 'none', handler: () => ({ status: 200, json: { ok: true } }) }];
}
