import { createHash } from 'node:crypto';
import type { EmitEventAnswer } from '../../../core/api-types.js';
import { subscribes, validateEventData, type DeliverableEvent } from '../../../core/events.js';
import { acceptEvent, serializeEnvelope } from '../../accept.js';
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
        const handoff = app.queue.handoff();
        const answer = await store
          .commitSoon(() => {
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
            const webhooks = store.webhooks
              .activeForUser(req.user)
              .filter((webhook) => subscribes(webhook.events, type));
            const accepted = acceptEvent(store, handoff, { userId: req.user, type, body, webhooks });
            const json: EmitEventAnswer = { id: accepted.eventId, deliveries: accepted.deliveryIds.length };
            if (key !== undefined)
              store.idempotency.save({ userId: req.user, key, hash, status: 202, response: JSON.stringify(json) });
            return { status: 202, json, replayed: false };
          })
          .catch((error: unknown) => {
            handoff.failed();
            throw error;
          });
        handoff.committed();
        return { status: answer.status, json: answer.json, headers: answer.replayed ? REPLAYED : {} };
      },
    },
  ];
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
