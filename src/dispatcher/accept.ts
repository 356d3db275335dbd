import type { DeliverableEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Store } from './store/index.js';

export interface AcceptedEvent {
  eventId: string;
  deliveryIds: string[];
}

/**
 * Stores an event's envelope, serialized once (SPEC §2: the bytes of every attempt), and one
 * pending delivery per webhook, in the caller's transaction: the 202 is sent only after both
 * are committed (SPEC §4).
 */
export function insertEvent(
  store: Store,
  input: { userId: string; type: DeliverableEvent; data: unknown; webhookIds: readonly string[]; now: number },
): AcceptedEvent {
  const eventId = newId('evt');
  const body = Buffer.from(JSON.stringify({ event: input.type, timestamp: new Date(input.now).toISOString(), data: input.data }), 'utf8');
  store.events.insert({ id: eventId, userId: input.userId, type: input.type, body });
  const deliveryIds = input.webhookIds.map((webhookId) => {
    const id = newId('dlv');
    store.deliveries.insert({ id, webhookId, eventId });
    return id;
  });
  return { eventId, deliveryIds };
}
