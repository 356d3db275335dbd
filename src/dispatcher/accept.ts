import type { DeliverableEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Handoff } from './queue.js';
import type { ActiveWebhook, Lease, Store } from './store/index.js';

export interface AcceptedEvent {
  eventId: string;
  deliveryIds: string[];
}

/**
 * The envelope of SPEC §2, serialized once: these bytes are stored and sent on every attempt.
 * Throws a RangeError for data nested too deeply to serialize.
 */
export function serializeEnvelope(type: DeliverableEvent, data: unknown, now: number): Buffer {
  // The same bytes as JSON.stringify({ event, timestamp, data }), without building that object.
  return Buffer.from(
    `{"event":${JSON.stringify(type)},"timestamp":"${new Date(now).toISOString()}","data":${JSON.stringify(data)}}`,
    'utf8',
  );
}

/**
 * Stores an event's envelope, serialized once (SPEC §2: the bytes of every attempt), and one
 * pending delivery per webhook, in the caller's transaction: the 202 is sent only after both
 * are committed (SPEC §4). With `lease`, the deliveries are stored already claimed.
 */
export function insertEvent(
  store: Store,
  input: { userId: string; type: DeliverableEvent; body: Buffer; webhookIds: readonly string[]; lease?: Lease },
): AcceptedEvent {
  const eventId = newId('evt');
  store.events.insert({ id: eventId, userId: input.userId, type: input.type, body: input.body });
  const deliveryIds = input.webhookIds.map((webhookId) => {
    const id = newId('dlv');
    store.deliveries.insert({ id, webhookId, eventId }, input.lease);
    return id;
  });
  return { eventId, deliveryIds };
}

/**
 * The accept path, inside its group commit: stores the event for `webhooks` and gives the queue's
 * handoff what it needs to send the deliveries at once when they may skip the queue (queue.ts,
 * rule 5). The caller settles the handoff after the commit.
 */
export function acceptEvent(
  store: Store,
  handoff: Handoff,
  input: { userId: string; type: DeliverableEvent; body: Buffer; webhooks: readonly ActiveWebhook[] },
): AcceptedEvent {
  const { userId, type, body, webhooks } = input;
  const webhookIds = webhooks.map((webhook) => webhook.id);
  const lease = handoff.lease(webhookIds);
  const accepted = insertEvent(store, { userId, type, body, webhookIds, lease });
  if (lease) {
    webhooks.forEach((webhook, i) =>
      handoff.hand({
        id: accepted.deliveryIds[i] as string,
        webhook_id: webhook.id,
        user_id: userId,
        event_id: accepted.eventId,
        event_type: type,
        attempt_count: 0,
        url: webhook.url,
        secret: webhook.secret,
        body,
      }),
    );
  }
  return accepted;
}
