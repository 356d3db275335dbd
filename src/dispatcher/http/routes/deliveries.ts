import type { RedeliverAnswer, TestAnswer } from '../../../core/api-types.js';
import { sampleEnvelope, type DeliverableEvent } from '../../../core/events.js';
import { newId } from '../../../core/ids.js';
import { insertEvent, serializeEnvelope } from '../../accept.js';
import type { DispatcherContext } from '../../context.js';
import { DISABLE_AFTER_FAILURES } from '../../policy.js';
import { toDelivery, type DeliveryRow, type Store, type WebhookRow } from '../../store/index.js';
import { HttpError, notFound } from '../errors.js';
import type { Route } from '../router.js';
import { validateListQuery } from '../validate.js';
import { ownWebhook } from './webhooks.js';

export function withAttempts(store: Store, rows: DeliveryRow[]) {
  const attempts = store.attempts.forDeliveries(rows.map((row) => row.id));
  return rows.map((row) => toDelivery(row, attempts.get(row.id) ?? []));
}

function requireActive(row: WebhookRow, action: string): void {
  if (row.is_active === 1) return;
  const why =
    row.disabled_reason === 'consecutive_failures'
      ? ` after ${DISABLE_AFTER_FAILURES} consecutive failed attempts`
      : '';
  throw new HttpError(
    409,
    'webhook_disabled',
    `Webhook ${row.id} is disabled${why}, so it cannot ${action}. Enable it first: PATCH /api/webhooks/${row.id} {"isActive": true}.`,
  );
}

export function deliveryRoutes(app: DispatcherContext): Route[] {
  const { store } = app;
  return [
    {
      method: 'GET',
      path: '/api/webhooks/:id/deliveries',
      auth: 'user',
      handler(req) {
        const { status, limit } = validateListQuery(req.query);
        const webhook = ownWebhook(app, req);
        return {
          status: 200,
          json: { data: withAttempts(store, store.deliveries.listForWebhook(webhook.id, status, limit)) },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/webhooks/:id/deliveries/:deliveryId',
      auth: 'user',
      handler(req) {
        const webhook = ownWebhook(app, req);
        const row = store.deliveries.getForWebhook(req.params.deliveryId ?? '', webhook.id);
        if (!row) throw notFound(`Delivery ${JSON.stringify(req.params.deliveryId)} of webhook ${webhook.id}`);
        return { status: 200, json: withAttempts(store, [row])[0] };
      },
    },
    {
      method: 'POST',
      path: '/api/webhooks/:id/deliveries/:deliveryId/redeliver',
      auth: 'user',
      handler(req) {
        const deliveryId = store.transaction(() => {
          const webhook = ownWebhook(app, req);
          const row = store.deliveries.getForWebhook(req.params.deliveryId ?? '', webhook.id);
          if (!row) throw notFound(`Delivery ${JSON.stringify(req.params.deliveryId)} of webhook ${webhook.id}`);
          requireActive(webhook, 'receive a redelivery');
          const id = newId('dlv');
          store.deliveries.insert({ id, webhookId: webhook.id, eventId: row.event_id });
          return id;
        });
        app.queue.wake();
        const answer: RedeliverAnswer = { deliveryId };
        return { status: 202, json: answer };
      },
    },
    {
      method: 'POST',
      path: '/api/webhooks/:id/test',
      auth: 'user',
      handler(req) {
        const accepted = store.transaction(() => {
          const webhook = ownWebhook(app, req);
          requireActive(webhook, 'receive the test event');
          const type: DeliverableEvent = 'test';
          const body = serializeEnvelope(type, sampleEnvelope(type).data, app.now());
          return insertEvent(store, { userId: req.user, type, body, webhookIds: [webhook.id] });
        });
        app.queue.wake();
        const answer: TestAnswer = { deliveryId: accepted.deliveryIds[0] as string, eventId: accepted.eventId };
        return { status: 202, json: answer };
      },
    },
  ];
}
