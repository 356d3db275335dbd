import { Argument, type Command } from 'commander';
import type { Lazy } from '../main.js';
import { examples } from './examples.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** `completion bash|zsh|fish`: a completion script made from the command table (issue 17). */
export function registerCompletion(program: Command, lazy: Lazy): void {
  examples(
    program
      .command('completion')
      .addArgument(new Argument('<shell>', 'the shell to complete in').choices(SHELLS))
      .summary('print a shell completion script')
      .description('Print a completion script for bash, zsh or fish: commands, options and event types.')
      .action(lazy(() => import('../commands/completion.js'), ['shell'])),
    'source <(v2k-webhooks completion bash)      # in ~/.bashrc',
    'v2k-webhooks completion zsh > "${fpath[1]}/_v2k-webhooks"',
    'v2k-webhooks completion fish > ~/.config/fish/completions/v2k-webhooks.fish',
  );
}
