import { Command } from 'commander';
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
  await buildProgram(lazy).parseAsync(argv);
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
