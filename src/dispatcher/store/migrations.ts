/**
 * Numbered migrations, applied in order and recorded in `PRAGMA user_version`. Kept as string
 * constants (not .sql files) because the CLI runs from a bundle that ships no assets.
 * Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the whole first schema. Times are Unix milliseconds.
  `
  CREATE TABLE api_keys (
    key        TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL, -- 'dev': made on first start, printed on every start
    created_at INTEGER NOT NULL
  );

  CREATE TABLE webhooks (
    seq                  INTEGER PRIMARY KEY AUTOINCREMENT,
    id                   TEXT NOT NULL UNIQUE,
    user_id              TEXT NOT NULL,
    url                  TEXT NOT NULL,
    events               TEXT NOT NULL, -- JSON array of subscriptions
    description          TEXT,
    secret               TEXT NOT NULL,
    is_active            INTEGER NOT NULL DEFAULT 1,
    disabled_reason      TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    deleted_at           INTEGER
  );
  CREATE INDEX webhooks_by_user ON webhooks (user_id, deleted_at);

  CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL,
    type       TEXT NOT NULL,
    body       BLOB NOT NULL, -- the exact bytes sent on every attempt (SPEC §2)
    created_at INTEGER NOT NULL
  );

  CREATE TABLE deliveries (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id),
    event_id         TEXT NOT NULL REFERENCES events (id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER,
    lease_token      TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
  );
  CREATE INDEX deliveries_due ON deliveries (next_attempt_at, seq) WHERE status = 'pending' AND lease_token IS NULL;
  CREATE INDEX deliveries_leased ON deliveries (lease_expires_at) WHERE lease_token IS NOT NULL;
  CREATE INDEX deliveries_by_webhook ON deliveries (webhook_id, seq);

  CREATE TABLE attempts (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id   TEXT NOT NULL REFERENCES deliveries (id),
    webhook_id    TEXT NOT NULL,
    number        INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    status_code   INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT
  );
  CREATE INDEX attempts_by_delivery ON attempts (delivery_id, number);
  CREATE INDEX attempts_by_webhook ON attempts (webhook_id, at);

  CREATE TABLE idempotency_keys (
    user_id      TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
  );
  `,
  // 2: the queue claims per webhook, fairly (issue 15): waiting deliveries are indexed by
  // webhook, then due time, instead of by due time across every webhook.
  `
  DROP INDEX deliveries_due;
  CREATE INDEX deliveries_waiting ON deliveries (webhook_id, next_attempt_at, seq) WHERE status = 'pending' AND lease_token IS NULL;
  `,
  // 3: chaos delivery (issue 18): what chaos did to an attempt ('duplicate', 'delayed 1.2s', …);
  // NULL for every attempt made without --chaos.
  `
  ALTER TABLE attempts ADD COLUMN chaos TEXT;
  `,
];
