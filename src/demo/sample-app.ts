import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../core/limits.js';
import { verify } from '../core/signature.js';

/** What the sample app saw of one request. */
export interface AppDelivery {
  deliveryId: string | null;
  event: string | null;
  attempt: number;
  verified: boolean;
  /** What the app answered. */
  status: number;
}

export interface SampleApp {
  /** `http://127.0.0.1:PORT/webhooks/v2k` */
  url: string;
  readonly received: readonly AppDelivery[];
  /** The app learns its webhook's secret once the webhook exists. */
  setSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * The receiver the demo forwards to, written the way the README tells users to: verify the raw
 * body before parsing it, take the event type from the signed body (headers are not signed),
 * answer fast, dedupe on webhook-id (the event id, SPEC §2). `failFirstAttempt` makes it
 * answer 503 to the first attempt of one event type, so the demo shows a real retry.
 */
export async function startSampleApp(options: { failFirstAttempt?: string } = {}): Promise<SampleApp> {
  let secret: string | undefined;
  const received: AppDelivery[] = [];
  const handled = new Set<string>();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy()); // a sender that aborts mid-body: nothing to answer
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.url !== '/webhooks/v2k') {
      res.writeHead(404).end();
      return;
    }
    const raw = await readBody(req);
    if (raw === undefined) {
      res.writeHead(413).end();
      return;
    }
    const verdict = verify({ payload: raw, headers: req.headers, secret });
    const deliveryId = header(req, 'x-v2k-delivery');
    const eventId = header(req, 'webhook-id');
    const attempt = Number(header(req, 'x-v2k-attempt') ?? 1);
    const event = verdict.ok ? eventType(raw) : null; // parse only after verifying
    let status = 200;
    let body = '{"received":true}';
    if (!verdict.ok) [status, body] = [401, JSON.stringify({ error: verdict.message })];
    else if (options.failFirstAttempt === event && attempt === 1)
      [status, body] = [503, '{"error":"simulated outage: please retry"}'];
    else if (eventId !== null && handled.has(eventId)) body = '{"received":true,"duplicate":true}';
    else if (eventId !== null) handled.add(eventId);

    const delivery: AppDelivery = { deliveryId, event, attempt, verified: verdict.ok, status };
    received.push(delivery);
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhooks/v2k`,
    received,
    setSecret(value) {
      secret = value;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function eventType(raw: Buffer): string | null {
  try {
    const envelope = JSON.parse(raw.toString('utf8')) as { event?: unknown };
    return typeof envelope.event === 'string' ? envelope.event : null;
  } catch {
    return null; // signed but not JSON: no type to act on
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
