import { formatDuration } from '../core/duration.js';
import { newId } from '../core/ids.js';
import { isSuccessStatus } from '../core/outcome.js';
import { HEADER, sign, signStandard } from '../core/signature.js';
import { ATTEMPT_TIMEOUT_MS } from '../dispatcher/policy.js';
import { createPoster, errorCode } from '../http/post.js';
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
  /** The recorded deliveries: an array, or a stream of them (`streamRecording`) for a file of any size. */
  deliveries: Iterable<RecordedDelivery> | AsyncIterable<RecordedDelivery>;
  /** Absolute URL to POST each delivery to. */
  to: string;
  /** When given, each delivery is signed anew with it (both schemes), with a fresh timestamp. */
  secret?: string;
  timeoutMs?: number;
  now?: () => number;
  onResult?: (result: ReplayResult) => void;
  /** Collect every result into the returned array (default true); false keeps memory flat for long recordings. */
  keepResults?: boolean;
}

/** Of an app's answer to a replayed delivery only the status counts; this much of its body is read. */
const ANSWER_BYTES_READ = 64 * 1024;

/**
 * Re-sends recorded deliveries one after the other, in the recorded order: the exact body and
 * the recorded headers (not hop-by-hop ones), re-signed when a secret is given.
 */
export async function replayDeliveries(options: ReplayOptions): Promise<ReplayResult[]> {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const keep = options.keepResults ?? true;
  const poster = createPoster({ timeoutMs, keepBytes: ANSWER_BYTES_READ, overflow: 'truncate', now });
  const url = new URL(options.to).href;
  const results: ReplayResult[] = [];
  let index = 0;
  try {
    for await (const entry of options.deliveries) {
      index++;
      const body = decodeBody(entry);
      const answer = await poster.post(url, headersFor(entry, body, options.secret, now), body);
      const base = {
        index,
        event: first(entry.headers[HEADER.event]) ?? null,
        deliveryId: first(entry.headers[HEADER.delivery]) ?? null,
        resigned: options.secret !== undefined,
        status: answer.failure === undefined ? answer.status : null,
        ms: Math.round(answer.ms),
      };
      const result: ReplayResult =
        answer.failure === undefined
          ? { ...base, ok: isSuccessStatus(answer.status) }
          : {
              ...base,
              ok: false,
              error:
                answer.failure === 'timeout'
                  ? `no answer within ${formatDuration(timeoutMs)}`
                  : (errorCode(answer.error) ??
                    (answer.error instanceof Error ? answer.error.message : answer.failure)),
            };
      if (keep) results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await poster.close();
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
