import { sampleEnvelope, type DeliverableEvent } from '../core/events.js';
import { newId } from '../core/ids.js';
import { DEFAULT_TOLERANCE_SECONDS, deliveryHeaders, generateSecret, HEADER } from '../core/signature.js';
import { USER_AGENT } from '../core/version.js';
import type { OutgoingRequest } from './send.js';
import { writeVariant } from './variant.js';

/**
 * The battery (issue 18): what each check sends. Pure: the bodies and ids are made here, the
 * headers when each request goes out (`build(nowSeconds)`), so a slow receiver never makes a
 * later request's timestamp stale.
 */
export type ProbeKind = 'delivery' | 'forged' | 'tampered' | 'unsigned' | 'stale' | 'reserialized' | 'duplicate';

export interface Probe {
  /** Stable, for scripts: `delivery:trade.completed`, `forged-signature`, … */
  id: string;
  kind: ProbeKind;
  /** What a passing receiver does, as the report card's line says it. */
  title: string;
  event: DeliverableEvent;
  /** One request, or two for `duplicate` (sent one after the other). */
  requests: Array<(nowSeconds: number) => OutgoingRequest>;
}

/** A stale probe's `webhook-timestamp` is this far in the past: well outside the usual tolerance, whatever the clocks' skew. */
export const STALE_AGE_SECONDS = 2 * DEFAULT_TOLERANCE_SECONDS;

export interface BatteryOptions {
  secret: string;
  /** The event types to deliver, one valid delivery each; the first one is used by every other probe. */
  events: readonly DeliverableEvent[];
  /** For the envelopes' `timestamp`. */
  now: Date;
}

export function buildBattery({ secret, events, now }: BatteryOptions): Probe[] {
  const [first] = events;
  if (first === undefined) throw new RangeError('the battery needs at least one event type');
  const body = (event: DeliverableEvent) => JSON.stringify(sampleEnvelope(event, now));
  const probes: Probe[] = events.map((event) => {
    const payload = body(event);
    const ids = freshIds();
    return {
      id: `delivery:${event}`,
      kind: 'delivery',
      title: `accepts ${event}`,
      event,
      requests: [(t) => ({ body: payload, headers: signed({ payload, secret, event, ids, timestamp: t }) })],
    };
  });

  const payload = body(first);
  const one = (kind: ProbeKind, id: string, title: string, build: Probe['requests'][number]): Probe => ({
    id,
    kind,
    title,
    event: first,
    requests: [build],
  });
  {
    const ids = freshIds();
    const otherSecret = generateSecret();
    probes.push(
      one('forged', 'forged-signature', 'refuses a forged signature', (t) => ({
        body: payload,
        headers: signed({ payload, secret: otherSecret, event: first, ids, timestamp: t }),
      })),
    );
  }
  {
    const ids = freshIds();
    const tampered = tamper(payload);
    probes.push(
      one('tampered', 'tampered-body', 'refuses a tampered body', (t) => ({
        body: tampered,
        headers: signed({ payload, secret, event: first, ids, timestamp: t }),
      })),
    );
  }
  {
    const ids = freshIds();
    probes.push(
      one('unsigned', 'missing-signature', 'refuses a missing signature', (t) => {
        const headers = signed({ payload, secret, event: first, ids, timestamp: t });
        delete headers[HEADER.signature];
        delete headers[HEADER.webhookSignature];
        return { body: payload, headers };
      }),
    );
  }
  {
    const ids = freshIds();
    probes.push(
      one('stale', 'stale-timestamp', 'refuses a stale timestamp', (t) => ({
        body: payload,
        headers: signed({ payload, secret, event: first, ids, timestamp: t - STALE_AGE_SECONDS }),
      })),
    );
  }
  {
    const ids = freshIds();
    const variant = writeVariant(JSON.parse(payload));
    probes.push(
      one('reserialized', 'raw-body', 'verifies the raw body', (t) => ({
        body: variant,
        headers: signed({ payload: variant, secret, event: first, ids, timestamp: t }),
      })),
    );
  }
  {
    // The platform sends an event again (a retry, a redelivery, a restart) with the same ids.
    const ids = freshIds();
    probes.push({
      id: 'duplicate',
      kind: 'duplicate',
      title: 'accepts the same delivery twice',
      event: first,
      requests: [1, 2].map((attempt) => (t: number) => ({
        body: payload,
        headers: signed({ payload, secret, event: first, ids, timestamp: t, attempt }),
      })),
    });
  }
  return probes;
}

interface Ids {
  eventId: string;
  deliveryId: string;
}

function freshIds(): Ids {
  return { eventId: newId('evt'), deliveryId: newId('dlv') };
}

/** Every header of a real delivery (SPEC §2), both schemes, `webhook-id` being the event id. */
function signed(o: {
  payload: string;
  secret: string;
  event: DeliverableEvent;
  ids: Ids;
  timestamp: number;
  attempt?: number;
}): Record<string, string> {
  // webhook-id is the event id (SPEC §2), as deliveryHeaders() writes it for the dispatcher too.
  return deliveryHeaders({
    payload: o.payload,
    secret: o.secret,
    timestamp: o.timestamp,
    deliveryId: o.ids.deliveryId,
    eventId: o.ids.eventId,
    event: o.event,
    attempt: o.attempt ?? 1,
    userAgent: USER_AGENT,
  });
}

/** The body with one value changed after signing: the first number of `data` × 100, else its first string. */
export function tamper(payload: string): string {
  const envelope = JSON.parse(payload) as { data?: Record<string, unknown> };
  const data = envelope.data ?? {};
  const key =
    Object.keys(data).find((k) => typeof data[k] === 'number') ??
    Object.keys(data).find((k) => typeof data[k] === 'string');
  if (key === undefined) return `${payload} `;
  const value = data[key];
  data[key] = typeof value === 'number' ? value * 100 + 1 : `${String(value)}_attacker`;
  return JSON.stringify(envelope);
}
