import { connect } from 'node:net';
import { rssOf } from './support.js';

export interface FloodAnswer {
  /** The status line's code, or null when the connection closed without one. */
  status: number | null;
  retryAfter: string | null;
}

/**
 * Opens `connections` sockets at once, each sending one request with a body of `bodyBytes`
 * (the same bytes, so the client side costs one buffer), and reads each answer's status line.
 */
export async function flood(
  port: number,
  options: { connections: number; bodyBytes: number; path: string; headers?: string[] },
): Promise<FloodAnswer[]> {
  const body = Buffer.alloc(options.bodyBytes, 0x78);
  const head = Buffer.from(
    [
      `POST ${options.path} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Connection: close',
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      ...(options.headers ?? []),
      '',
      '',
    ].join('\r\n'),
    'latin1',
  );
  return Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<FloodAnswer>((resolve) => {
          const socket = connect(port, '127.0.0.1');
          let received = '';
          const finish = (): void => {
            socket.destroy();
            const status = /^HTTP\/1\.1 (\d{3})/.exec(received);
            resolve({
              status: status ? Number(status[1]) : null,
              retryAfter: /\r\nretry-after: *([^\r]*)/i.exec(received)?.[1] ?? null,
            });
          };
          socket.setTimeout(60_000, finish);
          socket.on('connect', () => {
            socket.write(head);
            socket.write(body);
          });
          socket.on('data', (chunk: Buffer) => {
            received += chunk.toString('latin1');
            if (received.includes('\r\n\r\n')) finish();
          });
          socket.on('error', finish);
          socket.on('close', finish);
        }),
    ),
  );
}

/** Samples a process's resident memory every 20 ms while `work` runs; resolves with the peak. */
export async function peakRssDuring<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; peak: number; base: number }> {
  const base = rssOf(pid);
  let peak = base;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // the process is gone: the caller's checks say so
    }
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, rssOf(pid));
    return { result, peak, base };
  } finally {
    clearInterval(sampler);
  }
}

/** How many answers had each status, e.g. `{401: 790, null: 10}`. */
export function countStatuses(answers: readonly FloodAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status } of answers) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}
