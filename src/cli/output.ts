import { Chalk, type ChalkInstance } from 'chalk';
import { toJsonLine } from '../core/json-line.js';
import { terminalWidth } from './terminal.js';

export interface OutputOptions {
  json: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

/**
 * Where commands print (SPEC §5 output rules): data to stdout, progress and logs to stderr,
 * colours only on a TTY and never with NO_COLOR; in --json mode stdout holds only JSON.
 */
export interface Output {
  readonly json: boolean;
  /** Colours on stderr/stdout: chalk with level 0 when off. */
  readonly style: ChalkInstance;
  /** Whether stdout is a terminal (tables may be wide, spinners allowed on stderr). */
  readonly isTTY: boolean;
  /** stdout's terminal width now (see terminalWidth); undefined when lines are not to be fitted. */
  readonly width: number | undefined;
  /** The command's result: JSON on stdout in --json mode, else the human rendering. */
  result(data: unknown, human: () => string): void;
  /** One JSON object per line (streams such as `listen --json`). */
  jsonLine(data: unknown): void;
  /** A line of data for people; dropped in --json mode so stdout stays JSON. */
  line(text: string): void;
  /** Progress and logs: stderr. */
  info(text: string): void;
  warn(text: string): void;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export function createOutput(options: OutputOptions): Output {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const env = options.env ?? process.env;
  const isTTY = Boolean(stdout.isTTY);
  // NO_COLOR wins over everything (no-color.org); FORCE_COLOR then turns colours on off a TTY.
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  const style = new Chalk({ level: !noColor && (forced || (isTTY && Boolean(stderr.isTTY))) ? 1 : 0 });

  // Data goes out in one write per turn of the event loop. stdout to a pipe or a file is
  // synchronous in Node, and a write per line was a fifth of the dispatcher's and the listener's
  // time at thousands of lines a second. Order is kept; the loop runs the flush before it exits.
  let pending: string[] = [];
  const flush = (): void => {
    const text = pending.join('');
    pending = [];
    stdout.write(text);
  };
  const write = (text: string): void => {
    if (pending.push(text) === 1) setImmediate(flush);
  };
  // A log line follows the data it speaks of ("save this secret" after the secret), so stderr
  // first sends what stdout holds; and nothing is held back when the process exits early.
  const flushFirst = (): void => {
    if (pending.length > 0) flush();
  };
  process.once('exit', flushFirst);

  return {
    json: options.json,
    style,
    isTTY,
    get width() {
      return terminalWidth(stdout);
    },
    stdout,
    stderr,
    result(data, human) {
      if (options.json) write(`${toJsonLine(data, 2)}\n`);
      else {
        const text = human();
        if (text.length > 0) write(text.endsWith('\n') ? text : `${text}\n`);
      }
    },
    jsonLine(data) {
      write(`${toJsonLine(data)}\n`);
    },
    line(text) {
      if (!options.json) write(`${text}\n`);
    },
    info(text) {
      flushFirst();
      stderr.write(`${text}\n`);
    },
    warn(text) {
      flushFirst();
      stderr.write(`${style.yellow('warning:')} ${text}\n`);
    },
  };
}
