import type { IncomingMessage } from 'node:http';
import { formatBytes } from '../../core/bytes.js';
import { jsonStartError } from '../../core/json-start.js';
import { HttpError, validationFailed } from './errors.js';
import { findInexactNumber } from './json-numbers.js';

export function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `The request body is over ${limit} bytes (${formatBytes(limit)}). Send a smaller body.`,
    {
      connection: 'close',
    },
  );
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
  const start = jsonStartError(body);
  if (start !== undefined) {
    const what =
      start.char === '' ? 'nothing but whitespace' : `${JSON.stringify(start.char)} at position ${start.position}`;
    throw new HttpError(
      400,
      'invalid_json',
      `The request body is not valid JSON (it holds ${what}, where a JSON value must start).`,
    );
  }
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    // JSON is UTF-8 (RFC 8259 §8.1): decoding other bytes would swap them for U+FFFD and store text nobody sent.
    throw new HttpError(400, 'invalid_json', 'The request body is not valid UTF-8. Send JSON encoded as UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'invalid_json', `The request body is not valid JSON (${detail}).`);
  }
  // What is stored and delivered is what JSON.parse made of the body: a number it would alter is refused (SPEC §3).
  const inexact = findInexactNumber(text);
  if (inexact !== undefined) {
    throw validationFailed(
      `${inexact.path} is ${inexact.sent}, which a JSON number cannot hold exactly: it would be delivered as ${inexact.becomes}. ` +
        'Send it as a string, or as a number a double holds: whole numbers up to 2^53, about 15 significant digits, magnitudes from 1e-308 to 1e308.',
    );
  }
  return value;
}
