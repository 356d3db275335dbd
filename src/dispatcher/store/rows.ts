import type { Attempt, Delivery, DeliveryStatus, Webhook } from '../../core/api-types.js';
import type { DeliverableEvent, EventSubscription } from '../../core/events.js';
import { isoTime } from '../../core/time.js';

/** Rows as SQLite holds them, and their API shapes (SPEC §3). */

export interface WebhookRow {
  id: string;
  user_id: string;
  url: string;
  events: string;
  description: string | null;
  secret: string;
  is_active: 0 | 1;
  disabled_reason: string | null;
  consecutive_failures: number;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempt_count: number;
  next_attempt_at: number | null;
  created_at: number;
}

export interface AttemptRow {
  delivery_id: string;
  webhook_id: string;
  number: number;
  at: number;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_body: string | null;
  /** What chaos delivery did to this attempt (issue 18); null or absent without --chaos. */
  chaos?: string | null;
}

/** Times in API answers: ISO 8601, each millisecond formatted once. */
export const iso = isoTime;

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as EventSubscription[],
    description: row.description,
    isActive: row.is_active === 1,
    disabledReason: row.disabled_reason === 'consecutive_failures' ? 'consecutive_failures' : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toAttempt(row: AttemptRow): Attempt {
  return {
    number: row.number,
    at: iso(row.at),
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    error: row.error,
    responseBody: row.response_body,
    // An extra field only on attempts chaos touched, so a delivery keeps SPEC §3's shape without --chaos.
    ...(row.chaos ? { chaos: row.chaos } : {}),
  };
}

export function toDelivery(row: DeliveryRow, attempts: AttemptRow[]): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    event: row.event_type as DeliverableEvent,
    status: row.status,
    attempts: attempts.map(toAttempt),
    createdAt: iso(row.created_at),
    nextAttemptAt: row.status === 'pending' && row.next_attempt_at !== null ? iso(row.next_attempt_at) : null,
  };
}
