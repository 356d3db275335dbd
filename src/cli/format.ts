import { printable } from '../core/printable.js';

/** Pads columns to their widest cell; the header is the first row. Cells are made printable (no escape sequences from data). */
export function table(header: readonly string[], rawRows: ReadonlyArray<readonly string[]>): string {
  const rows = rawRows.map((row) => row.map(printableKeepingStyle));
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)].join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Escapes control characters from data but keeps the colour codes our own styling added. */
function printableKeepingStyle(cell: string): string {
  let out = '';
  let last = 0;
  for (const match of cell.matchAll(ANSI)) {
    out += printable(cell.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + printable(cell.slice(last));
}

/** Greedy word wrap to `width` columns (a word longer than that stays whole on its own line). */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let current = '';
      for (const word of line.split(' ')) {
        if (current !== '' && current.length + 1 + word.length > width) {
          out.push(current);
          current = word;
        } else current = current === '' ? word : `${current} ${word}`;
      }
      out.push(current);
      return out.join('\n');
    })
    .join('\n');
}
