import { Command, Help } from 'commander';
import { VERSION } from '../core/version.js';
import { UsageError } from '../core/errors.js';
import type { Context, GlobalOptions } from './context.js';
import { commandPaths, helpRequest, unknownCommand } from './help.js';
import { registerCompletion } from './register/completion.js';
import { registerDispatcher } from './register/dispatcher.js';
import { examples } from './register/examples.js';
import { registerListener } from './register/listener.js';
import { registerManagement } from './register/management.js';
import { registerTools } from './register/tools.js';

/** A command module: one file per command, loaded only when that command runs. */
export interface CommandModule {
  run(options: never, ctx: Context): Promise<number | void>;
}

/** Wraps a command module's import into a commander action; `positional` names its arguments. */
export type Lazy = (
  load: () => Promise<CommandModule>,
  positional?: readonly string[],
) => (...args: unknown[]) => Promise<void>;

/**
 * Parses `argv` and runs the command it names; resolves with the command's exit code.
 * Errors (usage, API, …) reject, for main.ts to report.
 */
export async function runProgram(argv: readonly string[], stopSignal: AbortSignal): Promise<number> {
  let exitCode = 0;
  const lazy: Lazy =
    (load, positional = []) =>
    async (...args) => {
      const command = args[args.length - 1] as Command;
      const options: Record<string, unknown> = { ...command.opts() };
      positional.forEach((name, i) => {
        options[name] = command.processedArgs[i];
      });
      const [{ createContext }, module] = await Promise.all([import('./context.js'), load()]);
      const ctx = await createContext(command.optsWithGlobals<GlobalOptions>(), stopSignal);
      const code = await (module.run as (options: Record<string, unknown>, ctx: Context) => Promise<number | void>)(
        options,
        ctx,
      );
      if (typeof code === 'number') exitCode = code;
    };
  const program = buildProgram(lazy);
  // `nosuch --help` is an unknown command, not the program's help (as main.ts answers from help.json).
  const path = helpRequest(argv.slice(2));
  const unknown = path === undefined ? undefined : unknownCommand(path, commandPaths(program));
  if (unknown) throw new UsageError(unknown.message, unknown.hint);
  await program.parseAsync(argv);
  return exitCode;
}

/** The command table; `lazy` wraps each command module's import (the build also uses it for help.json). */
export function buildProgram(lazy: Lazy): Command {
  const program = new Command('v2k-webhooks')
    .description('Build against V2K webhooks: manage them, relay them to your app, and emulate the platform offline.')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--api-url <url>', 'V2K API base URL (env V2K_API_URL; default https://v2k-music.com)')
    .option('--api-key <key>', 'API key (env V2K_API_KEY)')
    .option('--profile <name>', 'saved profile to use (env V2K_PROFILE)')
    .option('--json', 'print only JSON on stdout, for scripts')
    .showSuggestionAfterError()
    .exitOverride()
    // Inherited by every command made after this: each shows the global options (issue 17), and
    // the command list leaves out "[options]" so that its descriptions have room to wrap at 80.
    .configureHelp({
      showGlobalOptions: true,
      subcommandTerm(this: Help, command: Command) {
        return Help.prototype.subcommandTerm.call(this, command).replace(' [options]', '');
      },
    });
  examples(
    program,
    'v2k-webhooks demo',
    'v2k-webhooks dispatcher',
    'v2k-webhooks listen --register --forward localhost:3000 --write-env .env',
  ).addHelpText(
    'after',
    [
      '',
      'Exit codes: 0 success, 1 failure (API error, bad signature, unmet expectation),',
      '2 usage error, 3 missing or rejected credentials, 130 stopped by Ctrl+C.',
      'Run `v2k-webhooks <command> --help` for the options and examples of each.',
    ].join('\n'),
  );
  program.configureOutput({ outputError: () => undefined });
  registerManagement(program, lazy);
  registerListener(program, lazy);
  registerDispatcher(program, lazy);
  registerTools(program, lazy);
  registerCompletion(program, lazy);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: () => undefined });
  return program;
}
