import { formatDuration } from '../core/duration.js';
import { isSuccessStatus } from '../core/outcome.js';
import { printable } from '../core/printable.js';
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

/**
 * The lines `listen` prints per delivery: one for the event (time, type, ids, verdict, summary),
 * then one per forward (status, URL, ms).
 */
export function renderEvent(e: ListenerEvent, paint: Painter = PLAIN): string[] {
  const time = e.receivedAt.slice(11, 19);
  const verdict = e.verdict.ok
    ? paint.green(e.verdict.label)
    : e.verdict.reason === 'no_secret'
      ? paint.yellow(e.verdict.label)
      : paint.red(e.verdict.label);
  // Everything but the time and the verdict came from the sender: printable() keeps its escape sequences off the terminal.
  const ids = printable(
    [e.eventId, e.deliveryId, e.attempt !== null && e.attempt > 1 ? `attempt ${e.attempt}` : undefined]
      .filter(Boolean)
      .join(' '),
  );
  const head = [
    paint.dim(time),
    paint.bold(printable(e.event ?? '(no event type)')),
    ids && paint.dim(ids),
    `[${verdict}]`,
    printable(e.summary),
  ]
    .filter(Boolean)
    .join('  ');
  const lines = [head];
  if (e.forwards.length === 0) {
    const what =
      e.status === 401
        ? paint.red('401 rejected, not forwarded (--reject-invalid)')
        : paint.dim(`${e.status} answered by the listener (no forward target)`);
    lines.push(`  → ${what}`);
  }
  for (const f of e.forwards) lines.push(`  → ${renderForward(f, paint)}`);
  return lines;
}

export function renderForward(f: ForwardResult, paint: Painter = PLAIN): string {
  const status =
    f.status === null
      ? paint.red(
          f.error?.kind === 'timeout'
            ? '504 timeout'
            : f.error?.kind === 'too_large'
              ? '502 answer too large'
              : '502 unreachable',
        )
      : isSuccessStatus(f.status)
        ? paint.green(String(f.status))
        : paint.red(String(f.status));
  return `${status} ${f.url} ${paint.dim(formatDuration(f.ms))}${f.answered ? '' : paint.dim(' (not answering the sender)')}`;
}

function id(text: string): string {
  return text;
}
