import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * A node:http server with the timeouts both the dispatcher and `listen` need (issue 15's one
 * setup): a client must send its whole request within `requestTimeoutMs`, else 408 and the
 * connection is closed. Node's defaults (5 min for a request, checked every 30 s) let a client
 * that trickles its headers or body hold a connection for minutes.
 */
export function createTimedServer(requestTimeoutMs: number, handler: RequestListener): Server {
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeoutMs / 4)),
    },
    handler,
  );
  // A request Node cannot parse, or one that took too long, gets a bare status line and a close.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}
