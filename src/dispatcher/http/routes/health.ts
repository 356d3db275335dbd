import type { StoreProblem } from '../../store/health.js';
import type { Route } from '../router.js';

/** GET /healthz: 200 `{"ok": true}`, or 503 with what keeps the store from taking writes (issue 16). */
export function healthRoutes(problem: () => StoreProblem | undefined = () => undefined): Route[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      auth: 'none',
      handler() {
        const found = problem();
        return found === undefined
          ? { status: 200, json: { ok: true } }
          : { status: 503, json: { ok: false, error: { code: found.code, message: found.message } } };
      },
    },
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
