import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { EVENT_CATALOG, isDeliverableEvent } from '../../../src/core/events.js';
import {
  createDispatcher,
  type AttemptInfo,
  type Dispatcher,
  type DispatcherOptions,
} from '../../../src/dispatcher/index.js';
import { startReceiver, type Answer, type Receiver, type Responder } from '../../helpers/receiver.js';
import { createWaiters } from '../../helpers/waiters.js';
import { parseJsonOrUndefined } from '../../helpers/json.js';

export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the tests
  text: string;
}

export interface Harness {
  dispatcher: Dispatcher;
  dbPath: string;
  key: string;
  attempts: AttemptInfo[];
  /** A call to the API with the harness's key (or `key` in init, `null` for none). */
  api(
    method: string,
    path: string,
    body?: unknown,
    init?: { key?: string | null; headers?: Record<string, string>; raw?: string | Buffer },
  ): Promise<ApiAnswer>;
  receiver(answer?: Answer | Responder): Promise<Receiver>;
  /** Creates a webhook and returns its answer body (with the secret). */
  createWebhook(url: string, events?: string[], key?: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  emit(event: string, data?: Record<string, unknown>, key?: string): Promise<ApiAnswer>;
  /** Resolves when `predicate` holds for the attempts reported so far. */
  waitForAttempts(predicate: (attempts: AttemptInfo[]) => boolean, timeoutMs?: number): Promise<AttemptInfo[]>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0)
    await cleanups
      .pop()?.()
      .catch(() => undefined);
});

export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'v2k-dispatcher-')), 'dispatcher.db');
}

/** A real dispatcher in this process: fresh SQLite file, port 0, closed after the test. */
export async function startHarness(options: Partial<DispatcherOptions> = {}): Promise<Harness> {
  const attempts: AttemptInfo[] = [];
  const waiters = createWaiters(attempts, 'attempts');
  const dbPath = options.dbPath ?? tempDb();
  const dispatcher = await createDispatcher({
    port: 0,
    ...options,
    dbPath,
    onAttempt(info) {
      attempts.push(info);
      waiters.notify();
    },
    logger: { warn: (message) => console.warn(message) },
  });
  cleanups.push(() => dispatcher.close());
  const key = dispatcher.devKey ?? options.userKeys?.[0]?.key ?? '';

  const harness: Harness = {
    dispatcher,
    dbPath,
    key,
    attempts,
    async api(method, path, body, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const useKey = init.key === undefined ? key : init.key;
      if (useKey !== null) headers.authorization = `Bearer ${useKey}`;
      let payload: string | Buffer | undefined = init.raw;
      if (payload === undefined && body !== undefined) {
        payload = JSON.stringify(body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(dispatcher.url + path, { method, headers, body: payload });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: parseJsonOrUndefined(text), text };
    },
    async receiver(answer) {
      const receiver = await startReceiver(answer);
      cleanups.push(() => receiver.close());
      return receiver;
    },
    async createWebhook(url, events = ['*'], useKey) {
      const res = await harness.api(
        'POST',
        '/api/webhooks',
        { url, events },
        useKey === undefined ? {} : { key: useKey },
      );
      if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${res.text}`);
      return res.body;
    },
    emit(event, data = {}, useKey) {
      return harness.api(
        'POST',
        '/api/events',
        { event, data: { ...sampleData(event), ...data } },
        useKey === undefined ? {} : { key: useKey },
      );
    },
    waitForAttempts(predicate, timeoutMs = 20_000) {
      return waiters.waitFor(predicate, timeoutMs);
    },
  };
  return harness;
}

export function sampleData(event: string): Record<string, unknown> {
  return isDeliverableEvent(event)
    ? (structuredClone(EVENT_CATALOG[event].sample.data) as unknown as Record<string, unknown>)
    : {};
}
