import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { toJsonLine } from '../core/json-line.js';
import type { Verdict } from './types.js';

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
  close(): Promise<void>;
}

/**
 * Appends JSON lines through one stream, so lines of concurrent deliveries never interleave.
 * The file is opened up front: a path that cannot be written fails at start, not at the first event.
 */
export async function createRecorder(file: string, onError: (error: Error) => void): Promise<Recorder> {
  const stream: WriteStream = createWriteStream(file, { flags: 'a', mode: 0o600 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  stream.on('error', onError);
  return {
    append(entry) {
      stream.write(`${toJsonLine(entry)}\n`);
    },
    async close() {
      if (stream.destroyed) return;
      stream.end();
      await once(stream, 'close');
    },
  };
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

export class RecordingError extends Error {}

/** Reads a record file; throws RecordingError naming the first line that is not a recorded delivery. */
export async function readRecording(file: string): Promise<RecordedDelivery[]> {
  const text = await readFile(file, 'utf8');
  const entries: RecordedDelivery[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new RecordingError(`Line ${i + 1} of ${file} is not JSON.`);
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
        `Line ${i + 1} of ${file} is not a recorded delivery (it needs headers, body and encoding).`,
      );
    }
    entries.push(entry as RecordedDelivery);
  });
  return entries;
}
