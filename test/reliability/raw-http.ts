import { connect } from 'node:net';

/** One request as bytes on a socket: nothing in between can tidy it up. */
export interface RawRequest {
  bytes: Buffer;
  /** Send only this many bytes, then half-close (`end`) or drop (`destroy`) the connection. */
  cut?: { at: number; how: 'end' | 'destroy' };
}

export interface RawAnswer {
  /** The status line's code, or null when the server closed without one. */
  status: number | null;
  /** The first bytes of the answer (status line and headers). */
  head: string;
  /** Whether the client gave up waiting (the server neither answered nor closed). */
  timedOut: boolean;
}

/** Builds an HTTP/1.1 request. `Content-Length` is the body's unless given (null: none). */
export function httpBytes(
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer | string = Buffer.alloc(0),
  contentLength?: string | null,
): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const length = contentLength === undefined ? String(payload.length) : contentLength;
  if (length !== null) lines.push(`Content-Length: ${length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** Sends raw bytes and reads the status line; resolves once it is known, the server closes, or `timeoutMs` passes. */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let done = false;
    const finish = (answer: RawAnswer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ status: statusOf(received), head: received, timedOut: true }), timeoutMs);
    socket.on('connect', () => {
      if (!request.cut) {
        socket.write(request.bytes);
        return;
      }
      socket.write(request.bytes.subarray(0, request.cut.at), () => {
        if (request.cut?.how === 'destroy') finish({ status: null, head: '', timedOut: false });
        else socket.end();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n'))
        finish({ status: statusOf(received), head: received.slice(0, 2048), timedOut: false });
    });
    socket.on('error', () => finish({ status: statusOf(received), head: received, timedOut: false }));
    socket.on('close', () => finish({ status: statusOf(received), head: received, timedOut: false }));
  });
}

function statusOf(text: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return match ? Number(match[1]) : null;
}
