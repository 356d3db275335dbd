import { UsageError, V2kError } from '../core/errors.js';
import type { Context } from './context.js';

/**
 * Prompts and spinners, only on a TTY (SPEC §5). They draw on stderr so that stdout keeps
 * only data (and only JSON with --json). Off a TTY, a prompt that would be needed is a
 * usage error naming the flag to pass.
 */

export function needInput(ctx: Context, flag: string, what: string): void {
  if (!ctx.interactive) {
    throw new UsageError(`Missing ${what}: there is no terminal to ask on.`, `Pass ${flag}.`);
  }
}

async function inquirer() {
  return import('@inquirer/prompts');
}

function context(ctx: Context) {
  return { input: ctx.stdin, output: ctx.output.stderr, signal: ctx.stopSignal };
}

/** Runs a prompt; Ctrl-C or a stop signal becomes a clean "cancelled" error instead of a stack. */
async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'ExitPromptError' || name === 'AbortPromptError' || name === 'AbortError') {
      throw new V2kError('Cancelled.', { code: 'cancelled', hint: 'Nothing was changed.' });
    }
    throw error;
  }
}

export async function askText(
  ctx: Context,
  options: { message: string; default?: string; validate?: (value: string) => true | string; required?: boolean },
): Promise<string> {
  const { input } = await inquirer();
  return guard(() =>
    input(
      { message: options.message, default: options.default, required: options.required, validate: options.validate },
      context(ctx),
    ),
  );
}

export async function askSecret(ctx: Context, message: string): Promise<string> {
  const { password } = await inquirer();
  return guard(() =>
    password(
      { message, mask: '*', validate: (v) => (v.trim() ? true : 'Enter a key, or press Ctrl-C to stop.') },
      context(ctx),
    ),
  );
}

export async function askChoices<T extends string>(
  ctx: Context,
  options: {
    message: string;
    choices: Array<{ value: T; name?: string; short?: string; description?: string; checked?: boolean }>;
  },
): Promise<T[]> {
  const { checkbox } = await inquirer();
  return guard(() =>
    checkbox<T>(
      {
        message: options.message,
        choices: options.choices,
        pageSize: options.choices.length,
        validate: (chosen) => (chosen.length > 0 ? true : 'Choose at least one event (space to select).'),
      },
      context(ctx),
    ),
  );
}

export async function askConfirm(ctx: Context, message: string, fallback = false): Promise<boolean> {
  const { confirm } = await inquirer();
  return guard(() => confirm({ message, default: fallback }, context(ctx)));
}

export interface Spinner {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

/** An ora spinner on stderr on a TTY; elsewhere nothing, so logs and CI output stay clean. */
export async function startSpinner(ctx: Context, text: string): Promise<Spinner> {
  if (!ctx.interactive) {
    return { update: () => undefined, succeed: () => undefined, fail: () => undefined, stop: () => undefined };
  }
  const { default: ora } = await import('ora');
  const spinner = ora({
    text,
    stream: ctx.output.stderr,
    color: ctx.output.style.level > 0 ? 'cyan' : false,
    isEnabled: true,
  }).start();
  return {
    update: (t) => {
      spinner.text = t;
    },
    succeed: (t) => void spinner.succeed(t),
    fail: (t) => void spinner.fail(t),
    stop: () => void spinner.stop(),
  };
}
