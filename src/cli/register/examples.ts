import type { Command } from 'commander';

/**
 * Adds an "Examples:" block to a command's help (issue 17: every command shows 1–3). commander
 * prints added text as it is, without wrapping: keep each line within 80 columns (the help test
 * holds every help line to 80 at an 80-column terminal).
 */
export function examples(command: Command, ...lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}`);
}
