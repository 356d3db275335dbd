import { bashScript, fishScript, zshScript } from '../completion.js';
import type { Context } from '../context.js';
import { buildProgram } from '../program.js';
import type { SHELLS } from '../register/completion.js';

export interface CompletionOptions {
  shell: (typeof SHELLS)[number];
}

/** `completion bash|zsh|fish`: prints the script (the shell is checked by commander's choices). */
export function run(options: CompletionOptions, ctx: Context): Promise<void> {
  const program = buildProgram(() => async () => undefined);
  const script = { bash: bashScript, zsh: zshScript, fish: fishScript }[options.shell](program);
  ctx.output.stdout.write(script);
  return Promise.resolve();
}
