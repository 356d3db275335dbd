import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The one raw-body reader of the dispatcher and `listen` (issue 15, issue 16). It reads a
 * request's body under a size cap and under one memory budget shared by every request of the
 * server: the bytes of all bodies held at once. A body that does not fit the budget is not held
 * at all; the caller answers 503 with Retry-After, and the sender comes back later.
 */

/** Why a body was not read. */
export type BodyRefusal = 'too_large' | 'busy' | 'aborted';

export class BodyError extends Error {
  constructor(readonly reason: BodyRefusal) {
    super(
      reason === 'too_large'
        ? 'The request body is over the size limit.'
        : reason === 'busy'
          ? 'Too many request bodies are held in memory right now.'
          : 'The request was aborted before its body was complete.',
    );
    this.name = 'BodyError';
  }
}

/**
 * Past this much discarded input the connection is cut instead of answered. Up to it, a refused
 * body is still read (and dropped) before the answer: a client still writing its body would see
 * a reset instead of the answer if the server stopped reading.
 */
export const DISCARD_LIMIT = 16 * 1024 * 1024;

export interface BodyReaderOptions {
  /** Largest body accepted; over it, `too_large`. */
  limit: number;
  /** Most bytes of bodies held in memory at once, all requests together; past it, `busy`. */
  budgetBytes: number;
}

export interface BodyReader {
  /**
   * The whole body, held against the budget until `res` closes. Rejects with a BodyError once
   * a refused body has been read to its end (or cut off), so the answer can be sent.
   */
  read(req: IncomingMessage, res: ServerResponse): Promise<Buffer>;
  /** Reads the rest of a body nobody will use, holding none of it; resolves at its end. */
  discard(req: IncomingMessage): Promise<void>;
  /** Bytes of bodies held right now. */
  held(): number;
}

export function createBodyReader({ limit, budgetBytes }: BodyReaderOptions): BodyReader {
  let held = 0;
  const take = (bytes: number): boolean => {
    if (held + bytes > budgetBytes) return false;
    held += bytes;
    return true;
  };

  return {
    held: () => held,
    discard,
    read(req, res) {
      const declared = declaredLength(req);
      if (declared !== undefined && declared > limit) {
        if (declared > DISCARD_LIMIT) {
          req.resume(); // answered at once; the connection closes after the answer
          return Promise.reject(new BodyError('too_large'));
        }
        return discard(req).then(() => Promise.reject(new BodyError('too_large')));
      }
      // A declared length is reserved whole before a byte is read: a request that fits is never
      // cut off halfway, and one that does not fit holds nothing.
      let reserved = 0;
      if (declared !== undefined) {
        if (!take(declared)) return discard(req).then(() => Promise.reject(new BodyError('busy')));
        reserved = declared;
      }
      const release = (): void => {
        held -= reserved;
        reserved = 0;
      };
      return new Promise<Buffer>((resolve, reject) => {
        let chunks: Buffer[] = [];
        // With a declared length, a body that comes in several chunks is copied into one buffer as
        // they arrive, so each chunk is garbage at once instead of living until the end (issue 16).
        let whole: Buffer | undefined;
        let size = 0;
        let refused: BodyRefusal | undefined;
        let settled = false;
        const fail = (reason: BodyRefusal): void => {
          if (settled) return;
          settled = true;
          release();
          reject(new BodyError(reason));
        };
        req.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (refused !== undefined) {
            if (size > DISCARD_LIMIT) req.destroy();
            return;
          }
          if (size > limit) refused = 'too_large';
          // Without a declared length (chunked), the budget is taken as the bytes come.
          else if (size > reserved) {
            if (take(size - reserved)) reserved = size;
            else refused = 'busy';
          }
          if (refused !== undefined) {
            chunks = [];
            whole = undefined;
            release();
          } else if (whole !== undefined) chunk.copy(whole, size - chunk.length);
          else if (declared !== undefined && chunk.length < declared && size === chunk.length) {
            whole = Buffer.allocUnsafe(declared);
            chunk.copy(whole, 0);
          } else chunks.push(chunk);
        });
        req.on('end', () => {
          if (refused !== undefined) return fail(refused);
          settled = true;
          // Held until the answer is sent: the caller works on the body until then.
          if (reserved > 0) {
            if (res.closed) release();
            else res.once('close', release);
          }
          // One chunk (a small body) is used as it came, without a copy.
          if (whole !== undefined) resolve(size === whole.length ? whole : whole.subarray(0, size));
          else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
        });
        req.on('error', () => fail('aborted'));
        req.on('close', () => {
          if (!req.complete) fail('aborted');
        });
      });
    },
  };
}

/** Reads the rest of a request body and drops it; cuts the connection past DISCARD_LIMIT. */
function discard(req: IncomingMessage): Promise<void> {
  if (req.complete) return Promise.resolve();
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DISCARD_LIMIT) req.destroy();
    });
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', () => resolve());
  });
}

function declaredLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}
