import type { DeliverableEvent, EventSubscription } from './events.js';

/** The REST API's shapes (SPEC §3), shared by the dispatcher that serves them and the client that reads them. */

export interface Webhook {
  id: string;
  url: string;
  events: EventSubscription[];
  description: string | null;
  isActive: boolean;
  disabledReason: null | 'consecutive_failures';
  createdAt: string;
  updatedAt: string;
}

/** Create and rotate-secret answers: the only places a secret is ever shown. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface WebhookStats {
  deliveries: number;
  succeeded: number;
  failed: number;
  /** 0..1, or null before any delivery finished. */
  successRate: number | null;
  avgResponseMs: number | null;
  p95ResponseMs: number | null;
  lastDeliveryAt: string | null;
}

export interface WebhookWithStats extends Webhook {
  stats: WebhookStats;
}

export interface CreateWebhookInput {
  url: string;
  events: EventSubscription[];
  description?: string;
}

export interface UpdateWebhookInput {
  url?: string;
  events?: EventSubscription[];
  description?: string | null;
  isActive?: boolean;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled';

export interface Attempt {
  number: number;
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** First 4 KiB of the response body. */
  responseBody: string | null;
  /**
   * Only from a dispatcher run with `--chaos` (issue 18), on an attempt chaos touched: what it
   * did (`duplicate`, `delayed 1.2s`, `reordered after dlv_…`). Never sent by the platform.
   */
  chaos?: string;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  event: DeliverableEvent;
  status: DeliveryStatus;
  attempts: Attempt[];
  createdAt: string;
  nextAttemptAt: string | null;
}

export interface ListDeliveriesQuery {
  status?: DeliveryStatus;
  limit?: number;
}

export interface TestAnswer {
  deliveryId: string;
  eventId: string;
}

export interface RedeliverAnswer {
  deliveryId: string;
}

export interface EmitEventInput {
  event: string;
  data: unknown;
}

export interface EmitEventAnswer {
  id: string;
  deliveries: number;
}

export interface ListAnswer<T> {
  data: T[];
}
