import type { WebhookWithSecret } from '../../../core/api-types.js';
import { newId } from '../../../core/ids.js';
import { generateSecret } from '../../../core/signature.js';
import type { DispatcherContext } from '../../context.js';
import { MAX_WEBHOOKS_PER_USER } from '../../policy.js';
import { toWebhook, type WebhookRow } from '../../store/index.js';
import { HttpError, notFound } from '../errors.js';
import type { RequestContext, Route } from '../router.js';
import { validateCreate, validatePatch } from '../validate.js';

/** The user's own webhook, or 404 — another user's webhook is indistinguishable from an unknown id (SPEC §3). */
export function ownWebhook(app: DispatcherContext, req: RequestContext): WebhookRow {
  const row = app.store.webhooks.getForUser(req.params.id ?? '', req.user);
  if (!row) throw notFound(`Webhook ${JSON.stringify(req.params.id)}`);
  return row;
}

export function webhookRoutes(app: DispatcherContext): Route[] {
  const { store } = app;
  return [
    {
      method: 'POST',
      path: '/api/webhooks',
      auth: 'user',
      handler(req) {
        const input = validateCreate(req.json());
        const created = store.transaction(() => {
          if (store.webhooks.countForUser(req.user) >= MAX_WEBHOOKS_PER_USER) return undefined;
          return store.webhooks.insert({ id: newId('wh'), userId: req.user, ...input, secret: generateSecret() });
        });
        if (!created) {
          throw new HttpError(
            409,
            'limit_reached',
            `You already have ${MAX_WEBHOOKS_PER_USER} webhooks, the most a user may have. Delete one (DELETE /api/webhooks/:id) first.`,
          );
        }
        const answer: WebhookWithSecret = { ...toWebhook(created), secret: created.secret };
        return { status: 201, json: answer };
      },
    },
    {
      method: 'GET',
      path: '/api/webhooks',
      auth: 'user',
      handler: (req) => ({ status: 200, json: { data: store.webhooks.listForUser(req.user).map(toWebhook) } }),
    },
    {
      method: 'GET',
      path: '/api/webhooks/:id',
      auth: 'user',
      handler(req) {
        const row = ownWebhook(app, req);
        return { status: 200, json: { ...toWebhook(row), stats: store.stats.forWebhook(row.id) } };
      },
    },
    {
      method: 'PATCH',
      path: '/api/webhooks/:id',
      auth: 'user',
      handler(req) {
        const patch = validatePatch(req.json());
        const row = store.transaction(() => {
          const current = ownWebhook(app, req);
          store.webhooks.update(current.id, patch);
          // An inactive webhook receives nothing: switching it off cancels what was waiting, as auto-disable does.
          if (patch.isActive === false) store.deliveries.cancelPending(current.id);
          return store.webhooks.getById(current.id) as WebhookRow;
        });
        return { status: 200, json: toWebhook(row) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/webhooks/:id',
      auth: 'user',
      handler(req) {
        store.transaction(() => {
          const row = ownWebhook(app, req);
          store.webhooks.softDelete(row.id);
          store.deliveries.cancelPending(row.id);
        });
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/api/webhooks/:id/rotate-secret',
      auth: 'user',
      handler(req) {
        const secret = generateSecret();
        const row = store.transaction(() => {
          const current = ownWebhook(app, req);
          store.webhooks.setSecret(current.id, secret);
          return store.webhooks.getById(current.id) as WebhookRow;
        });
        const answer: WebhookWithSecret = { ...toWebhook(row), secret };
        return { status: 200, json: answer };
      },
    },
  ];
}
