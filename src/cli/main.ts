import { Command, CommanderError } from 'commander';
import { ExitCode, V2kError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import type { Context, GlobalOptions } from './context.js';
import { registerDispatcher } from './register/dispatcher.js';
import { registerListener } from './register/listener.js';
import { registerManagement } from './register/management.js';
import { registerTools } from './register/tools.js';

/** A command module: one file per command, loaded only when that command runs. */
export interface CommandModule {
  run(options: never, ctx: Context): Promise<number | void>;
}

/** Wraps a command module's import into a commander action; `positional` names its arguments. */
export type Lazy = (load: () => Promise<CommandModule>, positional?: readonly string[]) => (...args: unknown[]) => Promise<void>;

const stop = new AbortController();

const lazy: Lazy = (load, positional = []) => async (...args) => {
  const command = args[args.length - 1] as Command;
  const options: Record<string, unknown> = { ...command.opts() };
  positional.forEach((name, i) => {
    options[name] = command.processedArgs[i];
  });
  const [{ createContext }, module] = await Promise.all([import('./context.js'), load()]);
  const ctx = await createContext(command.optsWithGlobals<GlobalOptions>(), stop.signal);
  const code = await (module.run as (options: Record<string, unknown>, ctx: Context) => Promise<number | void>)(options, ctx);
  if (typeof code === 'number') process.exitCode = code;
};

function buildProgram(): Command {
  const program = new Command('v2k-webhooks')
    .description('Build against V2K webhooks: manage them, relay them to your app, and emulate the platform offline.')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--api-url <url>', 'V2K API base URL (env V2K_API_URL; default https://v2k-music.com)')
    .option('--api-key <key>', 'API key (env V2K_API_KEY)')
    .option('--profile <name>', 'saved profile to use (env V2K_PROFILE)')
    .option('--json', 'print only JSON on stdout, for scripts')
    .showSuggestionAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 failure (API error, bad signature, unmet expectation), 2 usage error, 3 missing or rejected credentials.',
    );
  program.configureOutput({ outputError: () => undefined });
  registerManagement(program, lazy);
  registerListener(program, lazy);
  registerDispatcher(program, lazy);
  registerTools(program, lazy);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => undefined });
  return program;
}

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.OK;
    }
    process.stderr.write(`${error.message.replace(/^error: /, 'Error: ')}\nRun \`v2k-webhooks --help\` to see the commands and their options.\n`);
    return ExitCode.USAGE;
  }
  if (error instanceof V2kError) {
    process.stderr.write(`Error: ${error.message}\n${error.hint ? `${error.hint}\n` : ''}`);
    return error.exitCode;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`Unexpected error: ${detail}\nThis is a bug in v2k-webhooks; please report it with the command you ran.\n`);
  return ExitCode.FAILURE;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: let the running command stop cleanly. Second: leave at once.
    if (stop.signal.aborted) process.exit(130);
    stop.abort(signal);
  });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}
