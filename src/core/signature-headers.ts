/** Reading the signature headers of a delivery, as every verifier here does (SPEC §2). */

/** Header bag as Node (`IncomingHttpHeaders`), fetch (`Headers`) or a plain object gives it. */
export type HeaderSource = Record<string, string | string[] | undefined> | { get(name: string): string | null };

const HEX_64_ANY_CASE = /^[0-9a-fA-F]{64}$/;
const STANDARD_V1 = /^v1,[A-Za-z0-9+/]{43}=$/;

export const HEADER = {
  signature: 'x-v2k-signature',
  event: 'x-v2k-event',
  delivery: 'x-v2k-delivery',
  eventId: 'x-v2k-event-id',
  attempt: 'x-v2k-attempt',
  webhookId: 'webhook-id',
  webhookTimestamp: 'webhook-timestamp',
  webhookSignature: 'webhook-signature',
} as const;

/**
 * The `v1` signatures (base64) in a `webhook-signature` value, read as Standard Webhooks says:
 * space-separated `version,signature` entries, surrounding whitespace ignored, entries of other
 * versions (`v1a`, `v2`, …) or of the wrong shape skipped.
 */
export function standardSignatures(header: string): string[] {
  if (!header.includes(' ')) {
    // Usually one signature; a list only while the sender rotates its own key.
    const part = header.trim();
    return STANDARD_V1.test(part) ? [part.slice(3)] : [];
  }
  const candidates: string[] = [];
  for (const entry of header.split(' ')) {
    const part = entry.trim();
    if (STANDARD_V1.test(part)) candidates.push(part.slice(3));
  }
  return candidates;
}

/**
 * Which header a signature value given on its own (`verify --signature`) belongs to: 64 hex
 * characters are an X-V2K-Signature; anything holding `version,signature` entries is a
 * webhook-signature; the rest is taken as a malformed X-V2K-Signature, so the verdict says so.
 */
export function signatureHeaderOf(value: string): typeof HEADER.signature | typeof HEADER.webhookSignature {
  const text = value.trim();
  return !HEX_64_ANY_CASE.test(text) && text.includes(',') ? HEADER.webhookSignature : HEADER.signature;
}

/** Reads one header case-insensitively; several values are joined with a NUL so they are spotted as duplicates. */
export function readHeader(headers: HeaderSource | undefined, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const value: unknown = (headers as { get(name: string): unknown }).get(name);
    return typeof value === 'string' ? value : undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  let value = record[name];
  if (value === undefined) {
    // Node lowercases header names; a hand-built object may not. Length first: no allocation per key.
    for (const key in record) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = record[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) return value.length === 1 ? value[0] : value.join('\0');
  return typeof value === 'string' ? value : undefined;
}

export function isDuplicated(value: string | undefined): boolean {
  return value !== undefined && value.includes('\0');
}
