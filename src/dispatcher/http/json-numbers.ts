import { clip } from '../../core/printable.js';

/**
 * Numbers of a JSON text that JSON.parse would change (SPEC §3, issue 16): an integer beyond
 * 2^53 (12345678901234567890 became …567000), more significant digits than a double keeps, an
 * overflow (1e400 became null once serialized) or an underflow to 0 (1e-400). The dispatcher
 * stores and delivers what it parsed, so such a number is refused rather than silently altered.
 *
 * JSON.parse cannot tell (Node 20 has no reviver `context.source`), so the raw text is scanned:
 * strings are skipped with indexOf, and only a number token of more than 15 characters or with
 * an exponent is checked — any shorter decimal survives the round trip exactly.
 */

/** A number that does not survive, where it is, and what it would have become. */
export interface InexactNumber {
  /** `data.amount`, `data.items[3].price`; `(the body)` for a bare number. */
  path: string;
  /** As sent (cut to 40 characters). */
  sent: string;
  /** As JSON.stringify would write what JSON.parse made of it. */
  becomes: string;
}

/** The first number of `text` (valid JSON) that JSON.parse would alter, or undefined. */
export function findInexactNumber(text: string): InexactNumber | undefined {
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c !== MINUS && (c < ZERO || c > NINE)) continue;
    const start = i;
    let exponent = false;
    while (i + 1 < length && isNumberChar(text.charCodeAt(i + 1))) {
      i++;
      const d = text.charCodeAt(i);
      if (d === LOWER_E || d === UPPER_E) exponent = true;
    }
    if (i + 1 - start <= SAFE_TOKEN_LENGTH && !exponent) continue;
    const token = text.slice(start, i + 1);
    const becomes = JSON.stringify(Number(token)); // 'null' for an overflow to Infinity
    if (becomes !== 'null' && sameDecimal(token, becomes)) continue;
    return { path: pathAt(text, start), sent: clip(token, 40), becomes };
  }
  return undefined;
}

/** At most 15 characters and no exponent: at most 15 significant digits, which a double always holds exactly. */
const SAFE_TOKEN_LENGTH = 15;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

function isNumberChar(c: number): boolean {
  return (c >= ZERO && c <= NINE) || c === DOT || c === LOWER_E || c === UPPER_E || c === MINUS || c === PLUS;
}

/** Index of the quote that closes the string opening at `open`. */
function stringEnd(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  for (;;) {
    if (close === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return close;
    close = text.indexOf('"', close + 1);
  }
}

/** Whether two JSON number texts name the same decimal value (`1.50` and `1.5`, `1e2` and `100`, `-0` and `0`). */
function sameDecimal(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(number: string): string {
  const negative = number.startsWith('-');
  const unsigned = negative ? number.slice(1) : number;
  const e = unsigned.search(/[eE]/);
  const mantissa = e === -1 ? unsigned : unsigned.slice(0, e);
  let exponent = e === -1 ? 0 : Number(unsigned.slice(e + 1));
  const dot = mantissa.indexOf('.');
  let digits = dot === -1 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  if (dot !== -1) exponent -= mantissa.length - dot - 1;
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const kept = digits.replace(/0+$/, '');
  exponent += digits.length - kept.length;
  return `${negative ? '-' : ''}${kept}e${exponent}`;
}

type Frame = { key: string | undefined; index: number | undefined };

/** The field path of the value starting at `target`, found by a second, slower pass (only for an error). */
function pathAt(text: string, target: number): string {
  const stack: Frame[] = [];
  let expectKey = false;
  for (let i = 0; i < target; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{') {
      stack.push({ key: undefined, index: undefined });
      expectKey = true;
    } else if (c === '[') stack.push({ key: undefined, index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      if (top?.index !== undefined) top.index++;
      else expectKey = true;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (expectKey && top !== undefined) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string;
        expectKey = false;
      }
      i = end;
    }
  }
  if (stack.length === 0) return '(the body)';
  return stack
    .map((frame, depth) =>
      frame.index !== undefined
        ? `[${frame.index}]`
        : /^[A-Za-z_$][\w$]*$/.test(frame.key ?? '')
          ? `${depth === 0 ? '' : '.'}${frame.key}`
          : `[${JSON.stringify(frame.key)}]`,
    )
    .join('');
}
