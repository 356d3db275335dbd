/**
 * The same JSON value written the way another serializer could write it — and not the way
 * `JSON.stringify` does: indented with `": "` separators (Python's json.dumps, pretty printers),
 * numbers with a trailing zero (`1.50`, as in the guide's own samples), `timestamp` before
 * `event`, and `\u005f` / `\/` escapes in strings (PHP's json_encode escapes `/`).
 *
 * `JSON.parse` gives back exactly the same value, so a receiver that verifies the bytes it got
 * accepts it; one that verifies `JSON.stringify(JSON.parse(body))` computes other bytes and refuses.
 */
export function writeVariant(value: unknown): string {
  return write(value, '', true);
}

const INDENT = '  ';

function write(value: unknown, indent: string, top: boolean): string {
  if (typeof value === 'number') return writeNumber(value);
  if (typeof value === 'string') return writeString(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = indent + INDENT;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + write(item, inner, false)).join(',\n')}\n${indent}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 0) return '{}';
  // Key order is not significant in JSON; another serializer (a struct, a sorted map) may change it.
  if (top && keys.includes('timestamp')) keys.sort((a, b) => Number(b === 'timestamp') - Number(a === 'timestamp'));
  const members = keys.map((key) => `${inner}${JSON.stringify(key)}: ${write(record[key], inner, false)}`);
  return `{\n${members.join(',\n')}\n${indent}}`;
}

/** `1.5` → `1.50`: the same number, other bytes. Integers and exponents are left as they are. */
function writeNumber(value: number): string {
  const plain = JSON.stringify(value);
  return /^-?\d+\.\d+$/.test(plain) ? `${plain}0` : plain;
}

/** Escapes that JSON allows and `JSON.stringify` never writes. */
function writeString(value: string): string {
  return JSON.stringify(value).replaceAll('_', '\\u005f').replaceAll('/', '\\/');
}
