import type { Output } from './output.js';

/** The global options of SPEC §5, as commander parsed them. */
export interface GlobalOptions {
  apiUrl?: string;
  apiKey?: string;
  profile?: string;
  json?: boolean;
}

/** What every command's `run(options, ctx)` gets. */
export interface Context {
  globals: GlobalOptions;
  output: Output;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Prompts and confirmations are allowed only when both ends are terminals (SPEC §5). */
  interactive: boolean;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM): long-running commands wait on it. */
  stopSignal: AbortSignal;
}

/** Why the stop signal fires: a signal, or stdout's reader went away (`… | head`). */
export type StopReason = 'SIGINT' | 'SIGTERM' | 'EPIPE';

/** 130 after SIGINT (Ctrl+C), 143 after SIGTERM, as shells report a signal; undefined otherwise. */
export function stopExitCode(signal: AbortSignal): number | undefined {
  if (!signal.aborted) return undefined;
  return signal.reason === 'SIGINT' ? 130 : signal.reason === 'SIGTERM' ? 143 : undefined;
}

export async function createContext(globals: GlobalOptions, stopSignal: AbortSignal): Promise<Context> {
  const { createOutput } = await import('./output.js');
  const output = createOutput({ json: Boolean(globals.json) });
  return {
    globals,
    output,
    env: process.env,
    stdin: process.stdin,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && process.env.CI !== 'true',
    stopSignal,
  };
}
