import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** A handler (node:http's, or an Express app) listening on 127.0.0.1, port 0. */
export interface Served {
  /** The base URL, e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  /** Closes the server and every connection it still has. */
  close(): Promise<void>;
}

export async function serve(handler: RequestListener): Promise<Served> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Inside a test: serves `handler` until the test ends; returns `http://127.0.0.1:PORT/hook`. */
export async function serveHook(handler: RequestListener): Promise<string> {
  const served = await serve(handler);
  onTestFinished(() => served.close());
  return `${served.origin}/hook`;
}

/** A port nothing listens on right now: to find nothing there, or to start something on it twice. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
