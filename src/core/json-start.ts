/**
 * Whether bytes could be JSON at all, judged by their first byte that is not JSON whitespace: a
 * JSON text starts with `{`, `[`, `"`, a digit, `-`, or `t`/`f`/`n`. A body that cannot is refused
 * (or shown unparsed) without decoding it into a string first: a flood of 1 MiB bodies of
 * anything else otherwise made a 1 MB string per request for JSON.parse to reject, and the
 * listener's and dispatcher's memory peaked on that garbage.
 */
export function jsonStartError(body: Uint8Array): { position: number; char: string } | undefined {
  for (let i = 0; i < body.length; i++) {
    const byte = body[i] as number;
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    return STARTS.has(byte) ? undefined : { position: i, char: String.fromCharCode(byte) };
  }
  return { position: body.length, char: '' };
}

const STARTS = new Set([...'{["-0123456789tfn'].map((c) => c.charCodeAt(0)));
