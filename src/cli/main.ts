// The bin's entry: signal handling, the one place errors become output and exit codes, and a
// start that loads commander and the command table only when they are needed (issue 2: --help
// and --version within 1.3x of `node -e 0`).

import { readFileSync } from 'node:fs';
import { helpRequest, renderHelp, unknownCommand, type HelpSnapshot } from './help.js';
import { terminalWidth } from './terminal.js';

export type { CommandModule, Lazy } from './program.js';

const stop = new AbortController();
/** After the reader of our output went away, how long the command has to clean up. */
const EPIPE_GRACE_MS = 3000;

/** commander's errors, recognised without importing commander (it is not loaded for --version). */
function isCommanderError(error: unknown): error is Error & { code: string } {
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('commander.');
}

async function report(error: unknown): Promise<number> {
  const [{ ExitCode, V2kError }, { stopExitCode }] = await Promise.all([
    import('../core/errors.js'),
    import('./context.js'),
  ]);
  await new Promise((resolve) => setImmediate(resolve)); // what the command printed goes out before its error
  if (isCommanderError(error)) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return ExitCode.OK;
    }
    process.stderr.write(
      `${error.message.replace(/^error: /, 'Error: ')}\nRun \`v2k-webhooks --help\` to see the commands and their options.\n`,
    );
    return ExitCode.USAGE;
  }
  if (error instanceof V2kError) {
    process.stderr.write(`Error: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    // A command cut short by Ctrl+C (or a SIGTERM) ends as shells expect of a signal: 128 + its number.
    return stopExitCode(stop.signal) ?? error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `Unexpected error: ${detail}\nThis is a bug in v2k-webhooks; please report it with the command you ran.\n`,
  );
  return ExitCode.FAILURE;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: let the running command stop cleanly. Second: leave at once.
    if (stop.signal.aborted) process.exit(130);
    stop.abort(signal);
  });
}

// `v2k-webhooks … | head` closes the pipe early: that is the reader's choice, not an error. The
// command is stopped as by Ctrl+C, so it cleans up (demo's temporary directory, listen's webhook)
// and exits 0; one that does not stop within a moment is ended. Any other failure to write our
// own output ends the command with 1 (there is nowhere to report it).
let readerGone = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') process.exit(1);
    if (readerGone) return;
    readerGone = true;
    if (!stop.signal.aborted) stop.abort('EPIPE');
    setTimeout(() => process.exit(0), EPIPE_GRACE_MS).unref();
  });
}

/**
 * Answers a help request from the snapshot the build made: prints the help of `path`, or exits 2
 * for a path that is no command (`nosuch --help`). False when commander must answer: no snapshot
 * (run from the sources), or a path the snapshot does not hold (`help --help`).
 */
async function helpFromSnapshot(path: string): Promise<boolean> {
  let snapshot: HelpSnapshot;
  try {
    snapshot = JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as HelpSnapshot;
  } catch {
    return false; // run from the sources (npm run dev): no snapshot, commander answers
  }
  const entry = Object.hasOwn(snapshot, path) ? snapshot[path] : undefined;
  if (entry === undefined) {
    const unknown = unknownCommand(path, ['help', ...Object.keys(snapshot)]);
    if (!unknown) return false;
    const { UsageError } = await import('../core/errors.js');
    process.exitCode = await report(new UsageError(unknown.message, unknown.hint));
    return true;
  }
  // commander's width rule: the terminal's columns, else 80.
  process.stdout.write(renderHelp(entry, terminalWidth(process.stdout)));
  return true;
}

const args = process.argv.slice(2);
const helpPath = helpRequest(args);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  // The one answer that needs no command table: skip loading commander at all.
  const { VERSION } = await import('../core/version.js');
  process.stdout.write(`${VERSION}\n`);
} else if (helpPath !== undefined && (await helpFromSnapshot(helpPath))) {
  // Printed from the build's snapshot of the command table: commander was not needed either.
} else {
  try {
    const { runProgram } = await import('./program.js');
    process.exitCode = await runProgram(process.argv, stop.signal);
  } catch (error) {
    process.exitCode = await report(error);
  }
  if (readerGone) process.exitCode = 0;
}
