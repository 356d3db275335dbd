import { createReadStream } from 'node:fs';
import { formatBytes } from '../core/bytes.js';
import type { RecordedDelivery } from './recorder.js';

export class RecordingError extends Error {}

/** A line longer than this is not a record (a 1 MiB body escaped as JSON stays well under it). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface ReadRecordingOptions {
  /** Told about a cut-off last line, which is skipped (a record being written when the disk filled or the process died). */
  onSkip?: (message: string) => void;
}

/**
 * The deliveries of a record file, one line at a time: memory stays at about one line however
 * long the file (issue 16: a 600 MB recording did not fit a string). Throws RecordingError
 * naming the first line that is not a recorded delivery, except a cut-off last line, which is
 * skipped with `onSkip`.
 */
export async function* streamRecording(
  file: string,
  options: ReadRecordingOptions = {},
): AsyncGenerator<RecordedDelivery> {
  let pieces: Buffer[] = [];
  let pending = 0;
  let lineNumber = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(0x0a); end !== -1; end = chunk.indexOf(0x0a, start)) {
      lineNumber++;
      const line =
        pieces.length === 0 ? chunk.subarray(start, end) : Buffer.concat([...pieces, chunk.subarray(start, end)]);
      pieces = [];
      pending = 0;
      start = end + 1;
      const entry = parseLine(line, lineNumber, file);
      if (entry !== undefined) yield entry;
    }
    if (start < chunk.length) {
      pieces.push(chunk.subarray(start));
      pending += chunk.length - start;
      if (pending > MAX_LINE_BYTES)
        throw new RecordingError(
          `Line ${lineNumber + 1} of ${file} is longer than ${formatBytes(MAX_LINE_BYTES)}: not a recorded delivery.`,
        );
    }
  }
  if (pending === 0) return;
  // The last line has no line break: a record cut off mid-write, unless it parses.
  lineNumber++;
  let entry: RecordedDelivery | undefined;
  try {
    entry = parseLine(Buffer.concat(pieces), lineNumber, file);
  } catch (error) {
    if (!(error instanceof RecordingError)) throw error;
    options.onSkip?.(
      `The last line of ${file} (line ${lineNumber}, ${pending} bytes) is cut off, as when the disk filled or listen stopped mid-write; it was skipped.`,
    );
    return;
  }
  if (entry !== undefined) yield entry;
}

/** Reads a whole record file (see streamRecording); prefer that for large files. */
export async function readRecording(file: string, options: ReadRecordingOptions = {}): Promise<RecordedDelivery[]> {
  const entries: RecordedDelivery[] = [];
  for await (const entry of streamRecording(file, options)) entries.push(entry);
  return entries;
}

function parseLine(line: Buffer, number: number, file: string): RecordedDelivery | undefined {
  const text = line.toString('utf8');
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RecordingError(`Line ${number} of ${file} is not JSON.`);
  }
  const entry = parsed as Partial<RecordedDelivery> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.body !== 'string' ||
    typeof entry.headers !== 'object' ||
    entry.headers === null ||
    (entry.encoding !== 'utf8' && entry.encoding !== 'base64')
  ) {
    throw new RecordingError(
      `Line ${number} of ${file} is not a recorded delivery (it needs headers, body and encoding).`,
    );
  }
  return entry as RecordedDelivery;
}
