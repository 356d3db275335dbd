import { execa, type ResultPromise } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/v2k-webhooks.js', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../node_modules/', import.meta.url));

export interface Child {
  process: ResultPromise;
  /** The first stdout line, parsed as JSON. */
  ready: Record<string, unknown>;
  /** Resolves with the next stdout line that parses as JSON and matches. */
  next(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

const children = new Set<ResultPromise>();
const spawned = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of [...children, ...spawned]) child.kill('SIGKILL');
});

/** Starts `node` with `args` and waits for its first JSON line on stdout. */
export async function spawnJson(
  args: string[],
  options: { stdout?: string; env?: Record<string, string> } = {},
): Promise<Child> {
  const child = execa(process.execPath, args, {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    stderr: 'inherit',
    env: { NODE_PATH: NODE_MODULES, NO_COLOR: '1', ...options.env },
  });
  children.add(child);
  const waiters = new Set<{
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }>();
  let first: ((line: Record<string, unknown>) => void) | undefined;
  const readyLine = new Promise<Record<string, unknown>>((resolve) => (first = resolve));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (first) {
      const f = first;
      first = undefined;
      f(line);
      return;
    }
    for (const waiter of waiters) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  });
  const ready = await Promise.race([
    readyLine,
    child.then((r) => {
      throw new Error(`${args.slice(0, 2).join(' ')} exited (${r.exitCode ?? r.signal}) before it was ready`);
    }),
  ]);
  return {
    process: child,
    ready,
    next: (match) => new Promise((resolve) => waiters.add({ match, resolve })),
    async stop() {
      child.kill('SIGTERM');
      await child;
      children.delete(child);
    },
  };
}

/** A local app answering 200 `ok` to everything; prints `{"port"}`, then `{"done", at}` once it has `expect` requests. */
export const APP_SOURCE = `
const http = require('node:http');
const expect = Number(process.env.EXPECT || 0);
let count = 0;
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.end('ok');
    if (++count === expect) console.log(JSON.stringify({ done: true, count, at: performance.timeOrigin + performance.now() }));
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

/** A receiver that accepts connections and never answers: deliveries stay in flight. */
export const HANGING_APP_SOURCE = `
const http = require('node:http');
const server = http.createServer((req) => { req.resume(); });
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

/**
 * The bare relay: forwards the body and the headers (less hop-by-hop ones and host, as the
 * contract asks of listen) to TARGET with an undici pool and hands the answer back; it neither
 * verifies nor logs, so the difference to listen is exactly those two.
 */
export const BARE_RELAY_SOURCE = `
const http = require('node:http');
const { Pool } = require('undici');
const pool = new Pool(process.env.TARGET, { connections: 128, pipelining: 1 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const headers = {};
      for (const [name, value] of Object.entries(req.headers)) if (!HOP.has(name)) headers[name] = value;
      const answer = await pool.request({ path: '/', method: 'POST', headers, body: Buffer.concat(chunks) });
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] || 'text/plain' }).end(body);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

export const nodeEval = (source: string): string[] => ['-e', source];

/** Resident set size of a process, from /proc (Linux). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node args` with stdout going straight into `file` (the child gets the file descriptor,
 * as a shell's `> file` gives it) and waits until `url` answers. Not through execa's `{ file }`,
 * which buffers in this process and ends the child past its 100 MB maxBuffer.
 */
export async function spawnToFile(
  args: string[],
  file: string,
  url: string,
): Promise<{ process: ChildProcess; stop(): Promise<void> }> {
  const fd = openSync(file, 'w', 0o600);
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', fd, 'inherit'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  spawned.add(child);
  for (let i = 0; ; i++) {
    try {
      await fetch(url);
      break;
    } catch {
      if (i > 200 || child.exitCode !== null) throw new Error(`${args.slice(0, 2).join(' ')} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    process: child,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      spawned.delete(child);
    },
  };
}
