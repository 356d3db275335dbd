import { formatDuration } from '../core/duration.js';
import { EVENT_TYPES } from '../core/events.js';
import { isSuccessStatus } from '../core/outcome.js';
import { clip, printable } from '../core/printable.js';
import type { ForwardResult, ListenerEvent } from './types.js';

/** The colours the human lines use; chalk fits, and a no-op painter gives plain text. */
export interface Painter {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
}

export const PLAIN: Painter = { green: id, red: id, yellow: id, dim: id, bold: id, cyan: id };

export interface RenderOptions {
  /** Show only the last characters of the delivery id (`…e5f6a7b8`), and not the event id: for a terminal. */
  shortIds?: boolean;
  /** Fit every line in this many columns, cutting the summary (and a long URL) with `…`. */
  width?: number;
}

/** Columns line up across events: the longest type of the catalog, the longest verdict label in brackets. */
const EVENT_COLUMN = Math.max(...EVENT_TYPES.map((t) => t.length));
const VERDICT_COLUMN = '[stale timestamp]'.length;
const SHORT_ID = 8;
const MAX_TYPE = 80;
const GAP = '  ';

/**
 * The lines `listen` (and `demo`) print per delivery: one for the event — time, type, ids,
 * attempt, verdict, summary, in aligned columns — then one per forward (status, URL, time).
 * Full ids are always in `--json` and the record; `shortIds` and `width` are for a terminal.
 */
export function renderEvent(e: ListenerEvent, paint: Painter = PLAIN, options: RenderOptions = {}): string[] {
  const { width } = options;
  const time = e.receivedAt.slice(11, 19);
  const verdict = (t: string) =>
    e.verdict.ok ? paint.green(t) : e.verdict.reason === 'no_secret' ? paint.yellow(t) : paint.red(t);
  const dim = (t: string) => paint.dim(t);
  // Everything but the time and the verdict came from the sender: printable() keeps its escape sequences off the terminal.
  // A type can be 64 KB long (it came from the sender): never more than MAX_TYPE on a line.
  const type = clip(printable(e.event ?? '(no event type)'), width === undefined ? MAX_TYPE : 2 * EVENT_COLUMN);
  const ids = options.shortIds
    ? e.deliveryId === null
      ? ''
      : `…${printable(e.deliveryId).slice(-SHORT_ID)}`
    : printable([e.eventId, e.deliveryId].filter(Boolean).join(' '));
  const attempt = e.attempt !== null && e.attempt > 1 ? `#${e.attempt}` : '';
  const label = `[${e.verdict.label}]`;
  const cells: Array<[text: string, column: number, style: (t: string) => string]> = [
    [time, 0, dim],
    [type, EVENT_COLUMN, (t) => paint.bold(t)],
    // Short ids have a column of their own, attempt included ("…e5f6a7b8 #2"); full ones take what they need.
    [[ids, attempt].filter(Boolean).join(' '), options.shortIds ? SHORT_ID + 4 : 0, dim],
    [label, VERDICT_COLUMN, verdict],
  ];
  const shown = cells.filter(([text, column]) => text !== '' || column > 0);
  const plain = shown.map(([text, column]) => text.padEnd(column)).join(GAP);
  let head = shown
    .map(([text, column, style]) => style(text) + ' '.repeat(Math.max(0, column - text.length)))
    .join(GAP);
  const summary = printable(e.summary);
  if (summary !== '') head += GAP + clip(summary, width === undefined ? Infinity : width - plain.length - GAP.length);
  const lines = [head.trimEnd()];
  if (e.forwards.length === 0) {
    const what =
      e.status === 401
        ? paint.red('401 rejected, not forwarded (--reject-invalid)')
        : paint.dim(`${e.status} answered by the listener (no forward target)`);
    lines.push(`  → ${what}`);
  }
  for (const f of e.forwards) lines.push(`  → ${renderForward(f, paint, width === undefined ? undefined : width - 4)}`);
  return lines;
}

export function renderForward(f: ForwardResult, paint: Painter = PLAIN, width?: number): string {
  const code =
    f.status === null
      ? f.error?.kind === 'timeout'
        ? '504 timeout'
        : f.error?.kind === 'too_large'
          ? '502 answer too large'
          : '502 unreachable'
      : String(f.status);
  const status = f.status !== null && isSuccessStatus(f.status) ? paint.green(code) : paint.red(code);
  const took = formatDuration(f.ms);
  const note = f.answered ? '' : ' (not answering the sender)';
  const room = width === undefined ? Infinity : width - code.length - took.length - note.length - 2;
  return `${status} ${clip(printable(f.url), room)} ${paint.dim(took)}${note && paint.dim(note)}`;
}

function id(text: string): string {
  return text;
}
