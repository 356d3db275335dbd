/** The seven event types a webhook can subscribe to (SPEC §3), in the guide's order. */
export const EVENT_TYPES = [
  'trade.completed',
  'trade.failed',
  'alert.triggered',
  'royalty.claimed',
  'portfolio.updated',
  'user.kyc.approved',
  'user.kyc.rejected',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
/** Every event that can be delivered: the seven plus the guide's `test`. */
export type DeliverableEvent = EventType | 'test';
/** What a webhook's `events` list may hold. */
export type EventSubscription = EventType | '*';

export interface TradeCompletedData {
  tradeId: string;
  userId: string;
  trackId: string;
  type: 'BUY' | 'SELL';
  amount: number;
  price: number;
  totalValue: number;
  txHash: string;
}
export interface TradeFailedData {
  tradeId: string;
  userId: string;
  reason: string;
}
export interface AlertTriggeredData {
  alertId: string;
  userId: string;
  trackId: string;
  condition: 'ABOVE' | 'BELOW';
  targetPrice: number;
  currentPrice: number;
}
export interface RoyaltyClaimedData {
  userId: string;
  amount: number;
  tracks: Array<{ trackId: string; amount: number }>;
}
export interface PortfolioUpdatedData {
  userId: string;
  totalValue: number;
  change: number;
  changePercent: number;
}
export interface KycApprovedData {
  userId: string;
  verifiedAt: string;
}
export interface KycRejectedData {
  userId: string;
  reason: string;
}
export interface TestData {
  test: true;
  message: string;
}

export interface EventDataMap {
  'trade.completed': TradeCompletedData;
  'trade.failed': TradeFailedData;
  'alert.triggered': AlertTriggeredData;
  'royalty.claimed': RoyaltyClaimedData;
  'portfolio.updated': PortfolioUpdatedData;
  'user.kyc.approved': KycApprovedData;
  'user.kyc.rejected': KycRejectedData;
  test: TestData;
}

/** The body of every delivery: serialized once, sent byte-identical on every attempt (SPEC §2). */
export interface WebhookEnvelope<E extends DeliverableEvent = DeliverableEvent> {
  event: E;
  timestamp: string;
  data: EventDataMap[E];
}

type FieldKind =
  'string' | 'number' | 'boolean' | 'timestamp' | { enum: readonly string[] } | { arrayOf: readonly FieldSpec[] };

export interface FieldSpec {
  name: string;
  kind: FieldKind;
}

export interface EventSpec<E extends DeliverableEvent = DeliverableEvent> {
  type: E;
  description: string;
  /** Fields `data` must hold; extra fields are allowed, so the platform can add some. */
  fields: readonly FieldSpec[];
  /** The guide's example. */
  sample: WebhookEnvelope<E>;
}

const GUIDE_TIMESTAMP = '2025-12-02T12:00:00Z';

const str = (name: string): FieldSpec => ({ name, kind: 'string' });
const num = (name: string): FieldSpec => ({ name, kind: 'number' });

function spec<E extends DeliverableEvent>(
  type: E,
  description: string,
  fields: FieldSpec[],
  data: EventDataMap[E],
): EventSpec<E> {
  return { type, description, fields, sample: { event: type, timestamp: GUIDE_TIMESTAMP, data } };
}

/** The catalog: every type with its required fields and the guide's sample. */
export const EVENT_CATALOG: { readonly [E in DeliverableEvent]: EventSpec<E> } = {
  'trade.completed': spec(
    'trade.completed',
    'A trade was executed.',
    [
      str('tradeId'),
      str('userId'),
      str('trackId'),
      { name: 'type', kind: { enum: ['BUY', 'SELL'] } },
      num('amount'),
      num('price'),
      num('totalValue'),
      str('txHash'),
    ],
    {
      tradeId: 'tx_123',
      userId: 'user_456',
      trackId: 'track_789',
      type: 'BUY',
      amount: 100,
      price: 1.5,
      totalValue: 150,
      txHash: '0x...',
    },
  ),
  'trade.failed': spec('trade.failed', 'A trade failed.', [str('tradeId'), str('userId'), str('reason')], {
    tradeId: 'tx_123',
    userId: 'user_456',
    reason: 'Insufficient balance',
  }),
  'alert.triggered': spec(
    'alert.triggered',
    'A price alert was triggered.',
    [
      str('alertId'),
      str('userId'),
      str('trackId'),
      { name: 'condition', kind: { enum: ['ABOVE', 'BELOW'] } },
      num('targetPrice'),
      num('currentPrice'),
    ],
    {
      alertId: 'alert_123',
      userId: 'user_456',
      trackId: 'track_789',
      condition: 'ABOVE',
      targetPrice: 2,
      currentPrice: 2.05,
    },
  ),
  'royalty.claimed': spec(
    'royalty.claimed',
    'Royalties were claimed.',
    [str('userId'), num('amount'), { name: 'tracks', kind: { arrayOf: [str('trackId'), num('amount')] } }],
    { userId: 'user_456', amount: 150.5, tracks: [{ trackId: 'track_789', amount: 150.5 }] },
  ),
  'portfolio.updated': spec(
    'portfolio.updated',
    'A portfolio changed significantly.',
    [str('userId'), num('totalValue'), num('change'), num('changePercent')],
    { userId: 'user_456', totalValue: 50000, change: 500, changePercent: 1.01 },
  ),
  'user.kyc.approved': spec(
    'user.kyc.approved',
    'KYC was approved.',
    [str('userId'), { name: 'verifiedAt', kind: 'timestamp' }],
    {
      userId: 'user_456',
      verifiedAt: GUIDE_TIMESTAMP,
    },
  ),
  'user.kyc.rejected': spec('user.kyc.rejected', 'KYC was rejected.', [str('userId'), str('reason')], {
    userId: 'user_456',
    reason: 'Invalid document',
  }),
  test: spec(
    'test',
    'The test event sent by `POST /api/webhooks/:id/test`.',
    [{ name: 'test', kind: 'boolean' }, str('message')],
    {
      test: true,
      message: 'This is a test webhook',
    },
  ),
};

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

export function isDeliverableEvent(value: unknown): value is DeliverableEvent {
  return value === 'test' || isEventType(value);
}

/** Whether a webhook subscribed to `subscriptions` receives `event`. `test` goes to any webhook it is sent to. */
export function subscribes(subscriptions: readonly string[], event: DeliverableEvent): boolean {
  return event === 'test' || subscriptions.includes('*') || subscriptions.includes(event);
}

export interface FieldProblem {
  /** Dotted path from `data`, e.g. `data.tracks[0].amount`. */
  field: string;
  message: string;
}

export type ValidationResult = { ok: true } | { ok: false; problems: FieldProblem[] };

/** Validation stops after this many problems: a body of 300,000 bad items must not cost 300,000 messages. */
export const MAX_FIELD_PROBLEMS = 20;

/** Checks an event's `data` against the catalog: an object with every required field of the right kind (at most 20 problems are reported). */
export function validateEventData(type: string, data: unknown): ValidationResult {
  if (!isDeliverableEvent(type)) {
    return {
      ok: false,
      problems: [
        {
          field: 'event',
          message: `unknown event type ${JSON.stringify(type)}; expected one of ${EVENT_TYPES.join(', ')}`,
        },
      ],
    };
  }
  const problems: FieldProblem[] = [];
  checkObject(data, EVENT_CATALOG[type].fields, 'data', problems);
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

function checkObject(value: unknown, fields: readonly FieldSpec[], path: string, problems: FieldProblem[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ field: path, message: `${path} must be an object` });
    return;
  }
  const record = value as Record<string, unknown>;
  for (const field of fields) {
    if (problems.length >= MAX_FIELD_PROBLEMS) return;
    const fieldPath = `${path}.${field.name}`;
    if (!Object.hasOwn(record, field.name) || record[field.name] === undefined || record[field.name] === null) {
      problems.push({ field: fieldPath, message: `${fieldPath} is required` });
      continue;
    }
    checkKind(record[field.name], field.kind, fieldPath, problems);
  }
}

function checkKind(value: unknown, kind: FieldKind, path: string, problems: FieldProblem[]): void {
  if (kind === 'string') {
    if (typeof value !== 'string') problems.push({ field: path, message: `${path} must be a string` });
  } else if (kind === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value))
      problems.push({ field: path, message: `${path} must be a finite number` });
  } else if (kind === 'boolean') {
    if (typeof value !== 'boolean') problems.push({ field: path, message: `${path} must be true or false` });
  } else if (kind === 'timestamp') {
    if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
      problems.push({ field: path, message: `${path} must be an ISO-8601 timestamp` });
    }
  } else if ('enum' in kind) {
    if (typeof value !== 'string' || !kind.enum.includes(value)) {
      problems.push({ field: path, message: `${path} must be one of ${kind.enum.join(', ')}` });
    }
  } else if (!Array.isArray(value)) {
    problems.push({ field: path, message: `${path} must be an array` });
  } else {
    for (let i = 0; i < value.length && problems.length < MAX_FIELD_PROBLEMS; i++)
      checkObject(value[i], kind.arrayOf, `${path}[${i}]`, problems);
  }
}

/** A fresh envelope for `type`: a copy of the sample's data, stamped now. */
export function sampleEnvelope<E extends DeliverableEvent>(type: E, now: Date = new Date()): WebhookEnvelope<E> {
  const sample = EVENT_CATALOG[type].sample;
  return { event: type, timestamp: now.toISOString(), data: structuredClone(sample.data) };
}
