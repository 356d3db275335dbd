import type { DispatcherContext } from '../context.js';
import type { Route } from '../http/router.js';

/**
 * The monitoring page's routes (SPEC §4 `/admin/webhooks`, issue 6), mounted after the API.
 * Read-only figures come from `app.store`: `webhooks.listAll()`, `stats.forWebhook(id)`,
 * `deliveries.recent(n)` / `listForWebhook(...)`, `attempts.failedRecent(id | null, n)`,
 * `deliveries.countByStatus()`. A handler may return `undefined` after writing `res` itself
 * (for a stream such as Server-Sent Events). Never show a webhook's secret.
 */
export function adminRoutes(_app: DispatcherContext): Route[] {
  return [];
}
