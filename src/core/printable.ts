// Control characters (C0 except none, DEL, C1) in text that came from elsewhere — a webhook's
// description, a receiver's answer, a delivery's data — would otherwise reach the terminal as
// escape sequences (retitle the window, clear the screen, fake a "verified"). Shown escaped.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character written as a visible escape (`\n`, `\t`, `\x1b`…), on one line. */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/**
 * At most `max` characters of `text`, `…` (counted) marking a cut; never half a surrogate pair.
 * The one way text is shortened for a line or a message: a sender's event type or a receiver's
 * answer can be 64 KB.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  const code = text.charCodeAt(max - 2);
  return `${text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 2 : max - 1)}…`;
}
