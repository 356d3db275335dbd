/** Hop-by-hop headers (RFC 9110 §7.6.1) never travel past a proxy; `host` and the body framing are set anew. */
const NOT_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  // The body is sent whole, so undici writes its own Content-Length; `expect: 100-continue` is not supported by it.
  'content-length',
  'expect',
]);

/**
 * The headers to pass on, as a flat `[name, value, …]` list in the sender's order and case,
 * duplicates kept: everything but hop-by-hop ones, `host`, and those the Connection header names.
 */
export function forwardableHeaders(rawHeaders: readonly string[]): string[] {
  let named: Set<string> | undefined; // most deliveries name no header in Connection: no set then
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      for (const token of (rawHeaders[i + 1] as string).split(','))
        (named ??= new Set()).add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    if (NOT_FORWARDED.has(name) || named?.has(name)) continue;
    out.push(rawHeaders[i] as string, rawHeaders[i + 1] as string);
  }
  return out;
}

/** Header pairs as a record with lowercase names; a repeated header becomes an array. */
export function headerRecord(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const previous = record[name];
    record[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return record;
}

/** Response headers of the app worth handing back to the sender (not hop-by-hop, not framing). */
export function answerHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED.has(name.toLowerCase()) || name.toLowerCase() === 'date') continue;
    out[name] = value;
  }
  return out;
}
