import { createHash } from 'node:crypto';
import type { EmitEventAnswer } from '../../../core/api-types.js';
import { subscribes, validateEventData, type DeliverableEvent } from '../../../core/events.js';
import { insertEvent, serializeEnvelope, stillActive } from '../../accept.js';
import type { ActiveWebhook, ClaimedDelivery } from '../../store/index.js';
import type { Reservation } from '../../worker.js';
import type { DispatcherContext } from '../../context.js';
import { HttpError, validationFailed } from '../errors.js';
import type { Route } from '../router.js';
import { validateEmit } from '../validate.js';

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const REPLAYED: Record<string, string> = { 'idempotent-replayed': 'true' };

export function eventRoutes(app: DispatcherContext): Route[] {
  const { store } = app;
  return [
    {
      method: 'POST',
      path: '/api/events',
      auth: 'user',
      async handler(req) {
        const key = readIdempotencyKey(req.req.headers['idempotency-key']);
        const { event, data } = validateEmit(req.json());
        // The key's user owns the event (SPEC §3): whatever userId was sent is replaced.
        const filled = { ...data, userId: req.user };
        const check = validateEventData(event, filled);
        if (!check.ok)
          throw validationFailed(
            `${listProblems(check.problems.map((p) => p.message))}. See \`v2k-webhooks events ${event}\` for a sample.`,
          );
        const hash = key === undefined ? '' : createHash('sha256').update(req.rawBody).digest('hex');
        const type = event as DeliverableEvent;
        let body: Buffer;
        try {
          body = serializeEnvelope(type, filled, app.now());
        } catch {
          throw validationFailed('data is nested too deeply to be sent as a webhook body; flatten it.');
        }

        // The 202 goes out only once the event and its deliveries are committed (SPEC §4).
        let reservation: Reservation | undefined;
        let handed: ClaimedDelivery[] = [];
        let queued = false;
        let answer: { status: number; json: EmitEventAnswer; replayed: boolean };
        try {
          answer = await store.commitSoon(() => {
            if (key !== undefined) {
              const earlier = store.idempotency.find(req.user, key);
              if (earlier) {
                if (earlier.request_hash !== hash) {
                  throw new HttpError(
                    409,
                    'idempotency_key_reused',
                    `Idempotency-Key ${JSON.stringify(key)} was already used with another body. Use a new key for a new event.`,
                  );
                }
                return {
                  status: earlier.status,
                  json: JSON.parse(earlier.response) as EmitEventAnswer,
                  replayed: true,
                };
              }
            }
            const targets = store.webhooks
              .activeForUser(req.user)
              .filter((webhook) => subscribes(webhook.events, type));
            reservation = app.handoff.reserve(targets.length);
            const accepted = insertEvent(store, {
              userId: req.user,
              type,
              body,
              webhookIds: targets.map((webhook) => webhook.id),
              lease: reservation,
            });
            if (reservation)
              handed = targets.map((webhook, i) =>
                claimedDelivery(webhook, accepted.deliveryIds[i] as string, accepted.eventId, type, body),
              );
            else queued = targets.length > 0;
            const json: EmitEventAnswer = { id: accepted.eventId, deliveries: accepted.deliveryIds.length };
            if (key !== undefined)
              store.idempotency.save({ userId: req.user, key, hash, status: 202, response: JSON.stringify(json) });
            return { status: 202, json, replayed: false };
          });
        } catch (error) {
          if (reservation) app.handoff.cancel(reservation);
          throw error;
        }
        if (reservation) app.handoff.take(reservation, stillActive(store, req.user, handed));
        else if (queued) app.wake();
        return { status: answer.status, json: answer.json, headers: answer.replayed ? REPLAYED : {} };
      },
    },
  ];
}

/** What the worker needs to send a delivery it takes from the accept path, as a claim would have read it. */
function claimedDelivery(
  webhook: ActiveWebhook,
  id: string,
  eventId: string,
  type: DeliverableEvent,
  body: Buffer,
): ClaimedDelivery {
  return {
    id,
    webhook_id: webhook.id,
    event_id: eventId,
    event_type: type,
    attempt_count: 0,
    url: webhook.url,
    secret: webhook.secret,
    body,
  };
}

/** Problems listed in one answer (validation itself stops at MAX_FIELD_PROBLEMS). */
const MAX_PROBLEMS_LISTED = 10;

function listProblems(messages: readonly string[]): string {
  const shown = messages.slice(0, MAX_PROBLEMS_LISTED).join('; ');
  return messages.length > MAX_PROBLEMS_LISTED ? `${shown}; and more` : shown;
}

function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header) || header.trim() === '' || header.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw validationFailed(
      `Idempotency-Key must be one non-empty value of at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters.`,
    );
  }
  return header;
}
