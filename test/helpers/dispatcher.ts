import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { BIN, tempHome } from './cli.js';

export interface StartDispatcherOptions {
  timeScale?: number;
  rateLimit?: number;
  /** 'KEY:USER', each given with --user-key. */
  userKeys?: string[];
  /** Reuse a database (restart); default a fresh file in a temp dir. */
  dbPath?: string;
  extraArgs?: string[];
  /** Environment variables for the child (V2K_* of this process are never passed on). */
  env?: Record<string, string>;
}

export interface RunningDispatcher {
  url: string;
  /** The dev key, or the first key given. */
  apiKey: string;
  adminUrl: string;
  dbPath: string;
  process: ResultPromise;
  /** Every JSON line printed after the ready line (`{"type":"attempt",…}`), as parsed objects. */
  lines: Array<Record<string, unknown>>;
  /** Everything the child wrote on stderr so far. */
  stderr(): string;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash. */
  kill(): void;
}

const running = new Set<ResultPromise>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Spawns the BUILT CLI's `dispatcher --port 0 --json` and waits for its ready line. */
export async function startDispatcher(options: StartDispatcherOptions = {}): Promise<RunningDispatcher> {
  const dbPath = options.dbPath ?? join(mkdtempSync(join(tmpdir(), 'v2k-dispatcher-')), 'dispatcher.db');
  const args = [BIN, 'dispatcher', '--port', '0', '--json', '--db', dbPath];
  if (options.timeScale !== undefined) args.push('--time-scale', String(options.timeScale));
  if (options.rateLimit !== undefined) args.push('--rate-limit', String(options.rateLimit));
  const userKeys = options.userKeys ?? [];
  for (const key of userKeys) args.push('--user-key', key);
  args.push(...(options.extraArgs ?? []));

  const home = tempHome();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('V2K_')));
  const child = execa('node', args, {
    reject: false,
    stdin: 'ignore',
    buffer: false,
    env: { ...inherited, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1', ...options.env },
    extendEnv: false,
  });
  running.add(child);
  void child.finally(() => running.delete(child));

  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines: Array<Record<string, unknown>> = [];
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dispatcher did not print its ready line within 20 s. stderr:\n${stderr}`)),
      20_000,
    );
    const rl = createInterface({ input: child.stdout });
    let first = true;
    rl.on('line', (line) => {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        reject(new Error(`dispatcher --json printed a line that is not JSON: ${line}`));
        return;
      }
      if (first) {
        first = false;
        clearTimeout(timer);
        if (parsed.type === 'ready') resolve(parsed);
        else reject(new Error(`dispatcher's first line is not the ready line: ${line}`));
      } else lines.push(parsed);
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(
        new Error(`dispatcher exited (${result.exitCode ?? result.signal}) before it was ready. stderr:\n${stderr}`),
      );
    });
  });
  const line = await ready;
  const apiKey = typeof line.devKey === 'string' ? line.devKey : (userKeys[0]?.split(':')[0] ?? '');

  return {
    url: String(line.url),
    apiKey,
    adminUrl: String(line.adminUrl),
    dbPath,
    process: child,
    lines,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await child;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}
