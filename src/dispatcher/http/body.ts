import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';

export function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `The request body is over ${limit} bytes (1 MiB). Send a smaller body.`,
    {
      connection: 'close',
    },
  );
}

/** Past this much discarded input the connection is cut instead of answered. */
const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * Reads the whole body. Over `limit` bytes it keeps reading but drops the bytes, then refuses
 * with 413: a client still writing its body would see a reset instead of the answer if the
 * server stopped reading.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DISCARD_LIMIT) req.destroy();
    });
    // One chunk (a small body) is used as it came, without a copy.
    req.on('end', () =>
      size > limit
        ? reject(tooLarge(limit))
        : resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)),
    );
    // A client that goes away mid-body is not the server's error: answer (to nobody) and move on.
    const aborted = (): void =>
      reject(new HttpError(400, 'aborted', 'The request was aborted before its body was complete.'));
    req.on('error', aborted);
    req.on('close', () => {
      if (!req.complete) aborted();
    });
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a JSON body: 415 for another content type, 400 `invalid_json` when it does not parse. */
export function parseJson(req: IncomingMessage, body: Buffer): unknown {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (body.length === 0) {
    throw new HttpError(
      400,
      'invalid_json',
      'The request body is empty; send a JSON object with Content-Type: application/json.',
    );
  }
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `The body must be JSON sent with Content-Type: application/json (got ${type ? JSON.stringify(type) : 'no Content-Type'}).`,
    );
  }
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    // JSON is UTF-8 (RFC 8259 §8.1): decoding other bytes would swap them for U+FFFD and store text nobody sent.
    throw new HttpError(400, 'invalid_json', 'The request body is not valid UTF-8. Send JSON encoded as UTF-8.');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_json', `The request body is not valid JSON (${detail}).`);
  }
}
