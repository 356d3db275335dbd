import type { DeliverableEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { ClaimedDelivery, Lease, Store } from './store/index.js';

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
 * are committed (SPEC §4). With `lease`, the deliveries are stored already claimed (the worker
 * takes them once the transaction is committed).
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
 * Of the deliveries an accept handed to the worker, those that may still go out now that the
 * group commit is done: a write later in the same batch may have disabled a webhook and
 * cancelled its pending deliveries (the worker recording a 10th failure in a row), and a
 * cancelled delivery is never sent.
 */
export function stillActive(store: Store, userId: string, deliveries: readonly ClaimedDelivery[]): ClaimedDelivery[] {
  if (deliveries.length === 0) return [];
  const active = store.webhooks.activeForUser(userId); // kept until a webhook changes (store/cache.ts)
  return deliveries.filter((delivery) => active.some((webhook) => webhook.id === delivery.webhook_id));
}
