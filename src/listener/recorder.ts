import { open, type FileHandle } from 'node:fs/promises';
import { toJsonLine } from '../core/json-line.js';
import type { ListenerLogger, Verdict } from './types.js';

/** One line of a `--record` file: a delivery as it arrived, enough to replay it byte for byte. */
export interface RecordedDelivery {
  receivedAt: string;
  method: string;
  path: string;
  /** Lowercase names; a repeated header is an array. */
  headers: Record<string, string | string[]>;
  /** The raw body: UTF-8 text when it is valid UTF-8, else base64 (see `encoding`). */
  body: string;
  encoding: 'utf8' | 'base64';
  verdict: Pick<Verdict, 'ok' | 'reason'>;
}

export interface Recorder {
  append(entry: RecordedDelivery): void;
  /** Writes what is queued, then closes the file. */
  close(): Promise<void>;
}

/** Records waiting for the disk past this many bytes are dropped (and counted), not queued in memory. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** How far back from the end a cut-off last record is looked for when the file is opened. */
const TAIL_SCAN_BYTES = 8 * 1024 * 1024;
/** Every record line starts so (`toJsonLine` keeps the key order of RecordedDelivery). */
const RECORD_START = '{"receivedAt":';

/**
 * Appends JSON lines, one write at a time, so lines of concurrent deliveries never interleave.
 * Each record is written whole or not at all (issue 16): a write the disk cuts short is cut back
 * to the last whole line, the records that did not fit are counted as lost, and recording
 * resumes by itself once the disk takes writes again, saying how many were lost. The file is
 * opened up front (a path that cannot be written fails at start) and kept mode 0600: it holds
 * bodies and signatures.
 */
export async function createRecorder(file: string, logger: Pick<ListenerLogger, 'warn' | 'error'>): Promise<Recorder> {
  const handle = await open(file, 'a', 0o600);
  try {
    await prepare(handle, file, logger);
  } catch (error) {
    await handle.close();
    throw error;
  }

  let queue: string[] = [];
  let queuedBytes = 0;
  let writing: Promise<void> | undefined;
  let lost = 0;
  let failing = false;

  const failed = (error: unknown, records: number): void => {
    lost += records;
    if (failing) return;
    failing = true;
    const code = (error as NodeJS.ErrnoException).code;
    logger.error(
      `Cannot write the record file ${file}: ${code === 'ENOSPC' ? 'ENOSPC, the disk is full' : (code ?? String(error))}. ` +
        'Deliveries are still received and forwarded; their records are dropped until the file can be written again.',
    );
  };

  async function writeBatch(lines: string[]): Promise<void> {
    const bytes = Buffer.from(lines.join(''), 'utf8');
    let written = 0;
    try {
      ({ bytesWritten: written } = await handle.write(bytes, 0, bytes.length));
      if (written === bytes.length) {
        if (failing) {
          failing = false;
          logger.warn(
            `Recording to ${file} resumed; ${lost} record${lost === 1 ? ' was' : 's were'} lost while it could not be written.`,
          );
          lost = 0;
        }
        return;
      }
      throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
    } catch (error) {
      // The disk took part of the batch: keep its whole lines, cut the rest off.
      const whole = written > 0 ? bytes.lastIndexOf(0x0a, written - 1) + 1 : 0;
      if (written > whole) await cutBack(handle, written - whole);
      const kept = whole === 0 ? 0 : countLines(bytes, whole);
      failed(error, lines.length - kept);
    }
  }

  function pump(): void {
    if (writing !== undefined || queue.length === 0) return;
    const lines = queue;
    queue = [];
    queuedBytes = 0;
    writing = writeBatch(lines).finally(() => {
      writing = undefined;
      pump();
    });
  }

  return {
    append(entry) {
      const line = `${toJsonLine(entry)}\n`;
      if (queuedBytes + line.length > MAX_QUEUED_BYTES) {
        failed(Object.assign(new Error('the disk is too slow'), { code: 'EAGAIN' }), 1);
        return;
      }
      queue.push(line);
      queuedBytes += line.length;
      pump();
    },
    async close() {
      while (writing !== undefined) await writing;
      if (lost > 0)
        logger.warn(
          `${lost} record${lost === 1 ? ' was' : 's were'} not written to ${file} (the disk did not take them).`,
        );
      await handle.close();
    },
  };
}

/** Narrows a looser file to 0600, and cuts off a record a crash or a full disk left half-written. */
async function prepare(handle: FileHandle, file: string, logger: Pick<ListenerLogger, 'warn'>): Promise<void> {
  const { mode, size } = await handle.stat();
  if ((mode & 0o077) !== 0) {
    await handle.chmod(0o600);
    logger.warn(
      `The record file ${file} was mode 0${(mode & 0o777).toString(8)}, readable by other users; it is now 0600 (it holds bodies and signatures).`,
    );
  }
  if (size === 0) return;
  const length = Math.min(size, TAIL_SCAN_BYTES);
  const tail = Buffer.alloc(length);
  await handle.read(tail, 0, length, size - length);
  if (tail[length - 1] === 0x0a) return;
  const start = tail.lastIndexOf(0x0a) + 1;
  const partial = tail.subarray(start);
  // Only a cut-off record of ours is removed; anything else is kept, and new records start on a line of their own.
  if (partial.toString('utf8', 0, RECORD_START.length) === RECORD_START && !parses(partial)) {
    await handle.truncate(size - partial.length);
    logger.warn(
      `The record file ${file} ended with a record cut off mid-write (${partial.length} bytes); it was removed.`,
    );
  } else await handle.write('\n');
}

async function cutBack(handle: FileHandle, bytes: number): Promise<void> {
  try {
    const { size } = await handle.stat();
    await handle.truncate(Math.max(0, size - bytes));
  } catch {
    // Could not cut it back: `replay` skips a cut-off last line, and the next open removes it.
  }
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) lines++;
  return lines;
}

function parses(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The body of a delivery in the record file's form. */
export function encodeBody(body: Buffer): Pick<RecordedDelivery, 'body' | 'encoding'> {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body)
    ? { body: text, encoding: 'utf8' }
    : { body: body.toString('base64'), encoding: 'base64' };
}

export function decodeBody(entry: Pick<RecordedDelivery, 'body' | 'encoding'>): Buffer {
  return Buffer.from(entry.body, entry.encoding === 'base64' ? 'base64' : 'utf8');
}
