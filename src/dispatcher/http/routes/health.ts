import type { Route } from '../router.js';

export function healthRoutes(): Route[] {
  return [
    { method: 'GET', path: '/healthz', auth: 'none', handler: () => ({ status: 200, json: { ok: true } }) },
    // A browser opened on the dispatcher's URL lands on the monitoring page (issue 17), not a JSON 404.
    {
      method: 'GET',
      path: '/',
      auth: 'none',
      handler: () => ({
        status: 302,
        body: 'The monitoring page is at /admin/webhooks.\n',
        contentType: 'text/plain; charset=utf-8',
        headers: { location: '/admin/webhooks' },
      }),
    },
  ];
}
