import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { BIN, tempHome } from '../../helpers/cli.js';

export interface RunningListen {
  url: string;
  port: number;
  ready: Record<string, unknown>;
  /** Every JSON line printed after the ready line. */
  lines: Array<Record<string, unknown>>;
  /** Resolves once `count` event lines were printed. */
  waitForEvents(count: number, timeoutMs?: number): Promise<Array<Record<string, unknown>>>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** Waits for the process to exit by itself. */
  exited(): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  process: ResultPromise;
}

/** Spawns the built `v2k-webhooks listen --port 0 --json …` as a user would and waits for its ready line. */
export async function startListen(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<RunningListen> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('V2K_')));
  const home = tempHome();
  const child = execa('node', [BIN, 'listen', '--port', '0', '--json', ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
    env: { ...inherited, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), NO_COLOR: '1', ...env },
    extendEnv: false,
  });
  const lines: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  let ready: Record<string, unknown> | undefined;
  let onReady: ((value: Record<string, unknown>) => void) | undefined;
  const readyPromise = new Promise<Record<string, unknown>>((resolve) => {
    onReady = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.type === 'ready' && ready === undefined) {
      ready = parsed;
      onReady?.(parsed);
      return;
    }
    lines.push(parsed);
    for (const wake of waiters) wake();
  });
  const result = child.then((r) => ({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) }));
  const first = await Promise.race([readyPromise, result]);
  if (!('type' in first))
    throw new Error(`listen exited before it was ready (exit ${String(first.exitCode)}):\n${String(first.stderr)}`);

  return {
    url: first.url as string,
    port: first.port as number,
    ready: first,
    lines,
    process: child,
    waitForEvents(count, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const events = () => lines.filter((l) => l.type === 'event');
        const check = () => {
          if (events().length >= count) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(events());
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`listen printed ${events().length} events, expected ${count}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      child.kill(signal);
      return result;
    },
    exited: () => result,
  };
}
