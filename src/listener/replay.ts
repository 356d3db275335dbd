import { isSuccessStatus } from '../core/outcome.js';
import { Agent } from 'undici';
import { newId } from '../core/ids.js';
import { HEADER, sign, signStandard } from '../core/signature.js';
import { forwardableHeaders } from './headers.js';
import { decodeBody, type RecordedDelivery } from './recorder.js';

export interface ReplayResult {
  /** 1-based position in the recording. */
  index: number;
  event: string | null;
  deliveryId: string | null;
  status: number | null;
  ms: number;
  error?: string;
  ok: boolean;
  resigned: boolean;
}

export interface ReplayOptions {
  deliveries: readonly RecordedDelivery[];
  /** Absolute URL to POST each delivery to. */
  to: string;
  /** When given, each delivery is signed anew with it (both schemes), with a fresh timestamp. */
  secret?: string;
  timeoutMs?: number;
  now?: () => number;
  onResult?: (result: ReplayResult) => void;
}

/**
 * Re-sends recorded deliveries one after the other, in the recorded order: the exact body and
 * the recorded headers (not hop-by-hop ones), re-signed when a secret is given.
 */
export async function replayDeliveries(options: ReplayOptions): Promise<ReplayResult[]> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({ keepAliveTimeout: 4_000, connect: { timeout: timeoutMs } });
  const url = new URL(options.to);
  const results: ReplayResult[] = [];
  try {
    for (const [i, entry] of options.deliveries.entries()) {
      const body = decodeBody(entry);
      const headers = headersFor(entry, body, options.secret, now);
      const started = now();
      const base = {
        index: i + 1,
        event: first(entry.headers[HEADER.event]) ?? null,
        deliveryId: first(entry.headers[HEADER.delivery]) ?? null,
        resigned: options.secret !== undefined,
      };
      let result: ReplayResult;
      try {
        const response = await agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body.dump();
        const ok = isSuccessStatus(response.statusCode);
        result = { ...base, status: response.statusCode, ms: now() - started, ok };
      } catch (error) {
        const err = error as { code?: string; name?: string; message?: string };
        const why =
          err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err.code ?? err.message ?? String(error));
        result = { ...base, status: null, ms: now() - started, error: why, ok: false };
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await agent.close();
  }
  return results;
}

function headersFor(entry: RecordedDelivery, body: Buffer, secret: string | undefined, now: () => number): string[] {
  const flat: string[] = [];
  for (const [name, value] of Object.entries(entry.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) flat.push(name, String(v));
  }
  const kept = forwardableHeaders(flat);
  if (secret === undefined) return kept;
  const resigned = new Set<string>([
    HEADER.signature,
    HEADER.webhookTimestamp,
    HEADER.webhookSignature,
    HEADER.webhookId,
  ]);
  const out: string[] = [];
  for (let i = 0; i + 1 < kept.length; i += 2) {
    if (!resigned.has((kept[i] as string).toLowerCase())) out.push(kept[i] as string, kept[i + 1] as string);
  }
  const id = first(entry.headers[HEADER.webhookId]) ?? first(entry.headers[HEADER.delivery]) ?? newId('dlv');
  const timestamp = Math.floor(now() / 1000);
  out.push(
    HEADER.signature,
    sign(body, secret),
    HEADER.webhookId,
    id,
    HEADER.webhookTimestamp,
    String(timestamp),
    HEADER.webhookSignature,
    signStandard({ id, timestamp, payload: body, secret }),
  );
  return out;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
