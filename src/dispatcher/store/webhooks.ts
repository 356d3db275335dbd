import type Database from 'better-sqlite3';
import { versionedCache, type Version } from './cache.js';
import type { Db } from './db.js';
import type { WebhookRow } from './rows.js';

export interface NewWebhook {
  id: string;
  userId: string;
  url: string;
  events: string[];
  description: string | null;
  secret: string;
}

export interface WebhookChanges {
  url?: string;
  events?: string[];
  description?: string | null;
  isActive?: boolean;
}

/** An active webhook as the accept path needs it: its subscriptions, parsed, and where and how to send. */
export interface ActiveWebhook {
  id: string;
  events: readonly string[];
  url: string;
  secret: string;
}

/**
 * Webhooks of every user; deleted ones are kept (soft delete) so their deliveries stay readable.
 * Every write that changes a row moves the store's `version` (see cache.ts).
 */
export function webhookQueries(db: Db, now: () => number, version: Version) {
  const insert = db.prepare(`
    INSERT INTO webhooks (id, user_id, url, events, description, secret, created_at, updated_at)
    VALUES (@id, @userId, @url, @events, @description, @secret, @now, @now)`);
  const countForUser = db.prepare(`SELECT count(*) FROM webhooks WHERE user_id = ? AND deleted_at IS NULL`).pluck();
  const listForUser = db.prepare(`SELECT * FROM webhooks WHERE user_id = ? AND deleted_at IS NULL ORDER BY seq`);
  const getForUser = db.prepare(`SELECT * FROM webhooks WHERE id = ? AND user_id = ? AND deleted_at IS NULL`);
  const getById = db.prepare(`SELECT * FROM webhooks WHERE id = ?`);
  const listAll = db.prepare(`SELECT * FROM webhooks WHERE deleted_at IS NULL ORDER BY seq`);
  const activeForUser = db.prepare(
    `SELECT id, events, url, secret FROM webhooks WHERE user_id = ? AND deleted_at IS NULL AND is_active = 1 ORDER BY seq`,
  );
  const softDelete = db.prepare(
    `UPDATE webhooks SET deleted_at = @now, is_active = 0, updated_at = @now WHERE id = @id`,
  );
  const setSecret = db.prepare(`UPDATE webhooks SET secret = @secret, updated_at = @now WHERE id = @id`);
  const addFailure = db
    .prepare(
      `UPDATE webhooks SET consecutive_failures = consecutive_failures + 1 WHERE id = ? AND is_active = 1 RETURNING consecutive_failures`,
    )
    .pluck();
  const resetFailures = db.prepare(
    `UPDATE webhooks SET consecutive_failures = 0 WHERE id = ? AND is_active = 1 AND consecutive_failures <> 0`,
  );
  const disable = db.prepare(
    `UPDATE webhooks SET is_active = 0, disabled_reason = @reason, updated_at = @now WHERE id = @id AND is_active = 1`,
  );

  const write = (statement: Database.Statement, ...params: unknown[]): number => {
    const { changes } = statement.run(...params);
    if (changes > 0) version.bump();
    return changes;
  };
  // Every accepted event needs its user's active webhooks: kept per user until the version moves.
  const active = versionedCache<string, readonly ActiveWebhook[]>(version);

  return {
    insert(webhook: NewWebhook): WebhookRow {
      write(insert, { ...webhook, events: JSON.stringify(webhook.events), now: now() });
      return getById.get(webhook.id) as WebhookRow;
    },
    countForUser: (userId: string): number => countForUser.get(userId) as number,
    listForUser: (userId: string): WebhookRow[] => listForUser.all(userId) as WebhookRow[],
    /** Undefined for an unknown id and for another user's webhook alike (SPEC §3: 404). */
    getForUser: (id: string, userId: string): WebhookRow | undefined =>
      getForUser.get(id, userId) as WebhookRow | undefined,
    getById: (id: string): WebhookRow | undefined => getById.get(id) as WebhookRow | undefined,
    listAll: (): WebhookRow[] => listAll.all() as WebhookRow[],
    /** The user's active webhooks, oldest first. */
    activeForUser(userId: string): readonly ActiveWebhook[] {
      let found = active.get(userId);
      if (found === undefined) {
        const rows = activeForUser.all(userId) as Array<Pick<WebhookRow, 'id' | 'events' | 'url' | 'secret'>>;
        found = rows.map((row) => ({
          id: row.id,
          events: JSON.parse(row.events) as string[],
          url: row.url,
          secret: row.secret,
        }));
        active.set(userId, found);
      }
      return found;
    },
    update(id: string, changes: WebhookChanges): void {
      const sets: string[] = ['updated_at = @now'];
      const params: Record<string, unknown> = { id, now: now() };
      if (changes.url !== undefined) {
        sets.push('url = @url');
        params.url = changes.url;
      }
      if (changes.events !== undefined) {
        sets.push('events = @events');
        params.events = JSON.stringify(changes.events);
      }
      if (changes.description !== undefined) {
        sets.push('description = @description');
        params.description = changes.description;
      }
      if (changes.isActive === true) sets.push('is_active = 1', 'disabled_reason = NULL', 'consecutive_failures = 0');
      if (changes.isActive === false) sets.push('is_active = 0', 'disabled_reason = NULL');
      write(db.prepare(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = @id`), params);
    },
    softDelete: (id: string): void => void write(softDelete, { id, now: now() }),
    setSecret: (id: string, secret: string): void => void write(setSecret, { id, secret, now: now() }),
    /** Adds one consecutive failure to an active webhook; the new count, or undefined when it is not active. */
    addFailure(id: string): number | undefined {
      const count = addFailure.get(id) as number | undefined;
      if (count !== undefined) version.bump();
      return count;
    },
    /** Back to 0 failures, for an active webhook; false when nothing changed (it was 0 already, or inactive). */
    resetFailures: (id: string): boolean => write(resetFailures, id) > 0,
    /** True when this call disabled it (it was active). */
    disable: (id: string, reason: string | null): boolean => write(disable, { id, reason, now: now() }) > 0,
  };
}

export type WebhookQueries = ReturnType<typeof webhookQueries>;
