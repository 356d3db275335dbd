/**
 * JSON for line-oriented consumers. `JSON.stringify` leaves U+2028 and U+2029 raw inside
 * strings, and some line readers (Node 24's readline among them) end a line there, splitting
 * one object in two. Escaped, they are the same JSON value and every reader sees one line.
 */
export function toJsonLine(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u2028\u2029]/g, escapeSeparator);
}

function escapeSeparator(char: string): string {
  return char === '\u2028' ? '\\u2028' : '\\u2029';
}
