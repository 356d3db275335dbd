import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { parseJsonOrUndefined } from '../helpers/json.js';

/** JSON over fetch with a Bearer key: what every reliability test calls the API with. */
export async function call(
  base: string,
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON answer, asserted on by the caller
): Promise<{ status: number; body: any; text: string }> {
  const all: Record<string, string> = { ...headers };
  if (key !== null) all.authorization = `Bearer ${key}`;
  if (body !== undefined) all['content-type'] ??= 'application/json';
  const res = await fetch(base + path, {
    method,
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: parseJsonOrUndefined(text), text };
}

/** Runs `task` for each item with at most `parallel` at once. */
export async function pool<T>(
  items: readonly T[],
  parallel: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index] as T, index);
      }
    }),
  );
}

export interface DbDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  status: string;
  attempt_count: number;
  next_attempt_at: number | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  updated_at: number;
}
export interface DbAttempt {
  delivery_id: string;
  webhook_id: string;
  number: number;
  status_code: number | null;
  error: string | null;
}

/** Reads a stopped dispatcher's database: the ground truth the API serves from. */
export function readDatabase(path: string) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return {
      webhooks: db
        .prepare('SELECT id, user_id, url, secret, is_active, disabled_reason, consecutive_failures FROM webhooks')
        .all() as Array<{
        id: string;
        user_id: string;
        url: string;
        secret: string;
        is_active: number;
        disabled_reason: string | null;
        consecutive_failures: number;
      }>,
      events: db.prepare('SELECT id, user_id, type, body FROM events').all() as Array<{
        id: string;
        user_id: string;
        type: string;
        body: Buffer;
      }>,
      deliveries: db
        .prepare(
          'SELECT id, webhook_id, event_id, status, attempt_count, next_attempt_at, lease_token, lease_expires_at, updated_at FROM deliveries',
        )
        .all() as DbDelivery[],
      attempts: db
        .prepare('SELECT delivery_id, webhook_id, number, status_code, error FROM attempts ORDER BY seq')
        .all() as DbAttempt[],
    };
  } finally {
    db.close();
  }
}

/** Resident memory of a process in bytes (Linux), from /proc. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}

/** Groups items by a key. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
