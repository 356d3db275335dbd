import { request } from 'node:http';
import { generateTestHeaders } from '../../../src/core/signature.js';
import { sampleEnvelope, type DeliverableEvent } from '../../../src/core/events.js';
import { afterEach } from 'vitest';
import { startApp, type SampleApp } from '../../helpers/app.js';
import {
  createListener,
  type Listener,
  type ListenerEvent,
  type ListenerOptions,
} from '../../../src/listener/index.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** A delivery body as the platform serializes it (JSON.stringify of the envelope, SPEC §2). */
export function bodyOf(event: DeliverableEvent = 'trade.completed'): string {
  return JSON.stringify(sampleEnvelope(event));
}

export interface Answer {
  status: number;
  body: string;
  headers: Headers;
}

/** POSTs a body to the listener with the headers of a real delivery signed with `secret`. */
export async function deliver(
  url: string,
  options: { body?: string | Buffer; secret?: string; headers?: Record<string, string>; event?: DeliverableEvent } = {},
): Promise<Answer> {
  const body = options.body ?? bodyOf(options.event);
  const signed = options.secret === undefined ? {} : generateTestHeaders({ payload: body, secret: options.secret });
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...signed, ...options.headers },
  });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

/** POSTs with node:http, which lets a test send headers fetch refuses (keep-alive, proxy-*). */
export function deliverRaw(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** What a test started, stopped after it, newest first (registered in each test file that imports this). */
export const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** A sample app verifying with SECRET, stopped after the test. */
export async function app(options: Parameters<typeof startApp>[0] = {}): Promise<SampleApp> {
  const started = await startApp({ secret: SECRET, ...options });
  cleanup.push(() => started.stop());
  return started;
}

/** A listener in this process verifying with SECRET, port 0, closed after the test; `events` collects what it reported. */
export async function listen(options: ListenerOptions = {}): Promise<Listener & { events: ListenerEvent[] }> {
  const events: ListenerEvent[] = [];
  const listener = await createListener({ port: 0, secrets: [SECRET], ...options, onEvent: (e) => events.push(e) });
  cleanup.push(() => listener.close());
  return Object.assign(listener, { events });
}
